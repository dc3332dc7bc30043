// Exit codes of the staging tools beyond the backup job's own (which the seed passes through).
export const StagingExit = { Usage: 2, Unclassified: 11, SurvivorsFound: 12 } as const;

export class StagingError extends Error {
    constructor(
        message: string,
        readonly exitCode: number,
    ) {
        super(message);
    }
}
