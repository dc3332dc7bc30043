// The job's environment, read once: cli.ts calls readEnvironment() at start and passes the result down
// (to the parser, the logger, the Sentry monitor, the storage and the child programs). No other module
// of the job reads process.env, so what a run was configured with is visible in one place.
import { JOB_ENV } from "./contract.js";

/** Variables by name, as the process started with them; tests pass plain objects. */
export type Variables = Readonly<Record<string, string | undefined>>;

export interface JobEnvironment {
    /**
     * Every variable, copied at start: the options' fallbacks (JOB_ENV), the log format, NO_COLOR and the
     * libpq variables the job refuses are looked up here by name, and the child programs inherit them.
     */
    readonly variables: Variables;
    /** The S3 client's region: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (the SDK's own order of the two). */
    readonly awsRegion: string;
}

export function readEnvironment(source: NodeJS.ProcessEnv = process.env): JobEnvironment {
    const variables: Variables = Object.freeze({ ...source });
    return { variables, awsRegion: variables[JOB_ENV.awsRegion] ?? variables["AWS_DEFAULT_REGION"] ?? "us-east-1" };
}
