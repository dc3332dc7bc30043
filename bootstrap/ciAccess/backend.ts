// Where the main program's state lives decides whether CI's roles need S3 rights on it.

/** The state objects of an s3:// backend as an S3 ARN pattern; nothing for Pulumi Cloud (its state needs no AWS rights). */
export function stateObjectsOf(backendUrl: string): { stateObjects?: string } {
    const match = /^s3:\/\/([^/]+)(\/.*)?$/.exec(backendUrl);
    if (match === null) return {};
    const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
    return { stateObjects: `arn:aws:s3:::${match[1]}/${prefix === "" ? "" : `${prefix}/`}*` };
}
