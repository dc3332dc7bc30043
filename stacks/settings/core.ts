// Settings every area shares: who owns the resources, where alerts go, where data may live.
import { defineArea, list, oneOf, text } from "./spec.js";
import { checkEmail, checkEmailList, DATA_RESIDENCIES, type DataResidency } from "./checks.js";

/**
 * The stack and its place, which every area's argument builder may read besides its own settings
 * (the registry's Settings extends it): areas import this type, never the registry.
 */
export interface CoreSettings {
    project: string;
    stack: string;
    /** Primary AWS region (the `aws:region` provider setting). */
    region: string;
    /** Team or person answerable for the resources; the `owner` tag. */
    owner: string;
    alertEmails: readonly string[];
    dataResidency: DataResidency;
}

export const coreArea = defineArea({
    name: "core",
    settings: {
        owner: text({
            default: "platform-team",
            check: (value) =>
                /^[A-Za-z0-9][A-Za-z0-9 ._:/=+@-]{0,255}$/.test(value)
                    ? undefined
                    : "must be 1-256 characters of letters, digits, spaces and . _ : / = + - @ (AWS tag value rules), starting with a letter or digit",
            allowed: "1–256 characters valid in an AWS tag value",
            description: "Team answerable for these resources; the `owner` tag on everything.",
            why: "The team on call for these resources. It becomes the `owner` tag on everything.",
        }),
        alertEmails: list({
            item: checkEmail,
            check: checkEmailList,
            allowed: "a list of email addresses, non-empty and distinct",
            description: "Email addresses that receive backup-failure and alarm notifications (at least one).",
            why: "Backup failures and alarms go here. No default: an alert sent to a guessed address reaches nobody.",
        }),
        dataResidency: oneOf(DATA_RESIDENCIES, {
            default: "eu" as DataResidency,
            description: "Where data may be stored: eu (EU regions only) or unrestricted (any region, needs the DPO's approval).",
            why:
                "HotelGenius serves European hotels and its database holds guests' personal data (GDPR): backups, replicas and log archives stay in EU " +
                "regions. `unrestricted` is a deliberate, reviewable exception.",
        }),
    },
});
