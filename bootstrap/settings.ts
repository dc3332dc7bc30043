// The account program's settings: its own areas, checked by the main program's settings core
// (stacks/settings/registry.ts), so a bad value is refused the same way: every problem at once,
// each naming the key, the value and what is allowed, before any resource is registered.
import { coreArea } from "../stacks/settings/core.js";
import { type AnyArea, checkedAreaValues, deepFreeze, type ParseSettingsInput, runtimeSettings, valuesOf } from "../stacks/settings/registry.js";
import { defineArea, text, type Values } from "../stacks/settings/spec.js";
import { breakGlassArea } from "./breakGlass/settings.js";
import { ciAccessArea } from "./ciAccess/settings.js";
import { trailArea } from "./trail/settings.js";

export const accountArea = defineArea({
    name: "account",
    settings: {
        owner: coreArea.settings.owner,
        dataResidency: coreArea.settings.dataResidency,
        mainProject: text({
            default: "hotelgenius-ops",
            check: (value) =>
                /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(value) ? undefined : "must be a Pulumi project name of 3-32 lowercase letters, digits and hyphens",
            allowed: "the main program's Pulumi project name",
            description: "The main program's project name: the prefix of every resource name the deploy roles may manage.",
            why: "The main program's name (Pulumi.yaml); its resources are all named <project>-<stack>-...",
        }),
    },
});

/** In the order docs/account.md lists them. */
export const ACCOUNT_AREAS: readonly AnyArea[] = [accountArea, trailArea, breakGlassArea, ciAccessArea];

export interface AccountSettings {
    project: string;
    stack: string;
    /** Where the trail bucket and the account's regional resources live; an EU region under dataResidency eu. */
    region: string;
    account: Values<typeof accountArea.settings>;
    trail: Values<typeof trailArea.settings>;
    breakGlass: Values<typeof breakGlassArea.settings>;
    ciAccess: Values<typeof ciAccessArea.settings>;
}

/** Validates the account stack's raw settings; throws SettingsError listing every problem. */
export function parseAccountSettings(input: ParseSettingsInput): AccountSettings {
    const { parsed, region } = checkedAreaValues(ACCOUNT_AREAS, input);
    return deepFreeze<AccountSettings>({
        project: input.project,
        stack: input.stack,
        region,
        account: valuesOf(accountArea, parsed),
        trail: valuesOf(trailArea, parsed),
        breakGlass: valuesOf(breakGlassArea, parsed),
        ciAccess: valuesOf(ciAccessArea, parsed),
    });
}

export function loadAccountSettings(): AccountSettings {
    return parseAccountSettings(runtimeSettings());
}
