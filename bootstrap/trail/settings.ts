// The account's CloudTrail trail: its own, or an organization trail that already covers the account.
import { defineArea, flag, integer, text } from "../../stacks/settings/spec.js";

export const trailArea = defineArea({
    name: "trail",
    settings: {
        organizationTrailArn: text({
            optional: true,
            check: (value) =>
                /^arn:aws:cloudtrail:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:trail\/[A-Za-z0-9._-]{3,128}$/.test(value)
                    ? undefined
                    : "must be a trail ARN, arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>",
            allowed: "the ARN of an organization trail that logs this account's management events, or unset",
            description: "An organization trail that already logs this account's management events; set, the account program creates no trail.",
            why: "Unset: the account gets its own trail. An account whose organization already runs a multi-region trail names it instead of paying twice.",
        }),
        trailObjectLockDays: integer({
            default: 365,
            min: 1,
            max: 3650,
            description: "Days each trail log file stays locked (Object Lock, COMPLIANCE mode) in the trail bucket.",
            why: "A year: an intruder who became administrator still cannot erase the record of what they did within a year of doing it.",
        }),
        trailLogExpirationDays: integer({
            default: 730,
            min: 1,
            max: 36_500,
            description: "Days after which trail log files are deleted; at least trailObjectLockDays.",
            why: "Two years of history for an investigation; S3 cannot delete a file before its lock expires anyway.",
        }),
        protectTrail: flag({
            default: true,
            description: "Protect the trail, its bucket and its key from deletion by Pulumi.",
            why: "The trail is the record of every change to the account: removing it must take a deliberate change to this setting.",
        }),
    },
    relations: (values, context) =>
        values.trailObjectLockDays !== undefined && values.trailLogExpirationDays !== undefined && values.trailLogExpirationDays < values.trailObjectLockDays
            ? [
                  {
                      setting: "trailLogExpirationDays",
                      value: values.trailLogExpirationDays,
                      allowed: `must be at least trailObjectLockDays (${values.trailObjectLockDays}): S3 cannot expire a file still locked (${context.keyOf("trailObjectLockDays")})`,
                  },
              ]
            : [],
});
