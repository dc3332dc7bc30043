// What Fargate accepts for the backup task: cpu and memory sizes, and an image pinned by digest.

export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: Array.from({ length: 13 }, (_, index) => 4096 + index * 1024),
    4096: Array.from({ length: 23 }, (_, index) => 8192 + index * 1024),
    8192: Array.from({ length: 12 }, (_, index) => 16_384 + index * 4096),
    16384: Array.from({ length: 12 }, (_, index) => 32_768 + index * 8192),
};

export function checkFargateSize(cpu: number, memory: number): string | undefined {
    const allowed = FARGATE_SIZES[cpu];
    if (allowed === undefined) return checkFargateCpu(cpu);
    if (allowed.includes(memory)) return undefined;
    const low = allowed[0]!;
    const sizes = cpu === 256 ? allowed.join(", ") : `${low}-${allowed[allowed.length - 1]} in steps of ${allowed[1]! - low}`;
    return `is not a memory size Fargate accepts with cpu ${cpu}; allowed: ${sizes} MiB`;
}

export function checkImageUri(value: string): string | undefined {
    if (!/^[a-z0-9][a-z0-9.-]*(:\d+)?\/[a-z0-9._/-]+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/.test(value)) {
        return "must be REGISTRY/REPOSITORY[:TAG]@sha256:<64 hex digits>, pinned by digest so that the task runs exactly the image reviewed";
    }
    return undefined;
}

export function checkFargateCpu(cpu: number): string | undefined {
    return FARGATE_SIZES[cpu] === undefined ? `must be a Fargate cpu size: ${Object.keys(FARGATE_SIZES).join(", ")}` : undefined;
}
