export const ROUTE53_CHECKER_REGIONS: readonly string[] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

export function checkCheckerRegions(regions: string[]): string | undefined {
    const unknown = regions.filter((region) => !ROUTE53_CHECKER_REGIONS.includes(region));
    if (unknown.length > 0) return `must name Route 53 checker regions only (${ROUTE53_CHECKER_REGIONS.join(", ")}); not: ${unknown.join(", ")}`;
    if (new Set(regions).size !== regions.length) return "must not repeat a region";
    if (regions.length < 3) return `must list at least 3 regions (Route 53's minimum), got ${regions.length}`;
    return undefined;
}
