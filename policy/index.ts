// The policy pack's entry point: `pulumi preview|up --policy-pack policy` runs this file, which starts
// the analyzer server. The rules live in policies.ts, where tests and scripts/offlinePlan/policyCheck.ts use them.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("hotelgenius-ops", {
    description:
        "Rules every HotelGenius ops stack must keep: hardened backup buckets, least-privilege backup task, no secrets in plain " +
        "environment, logs with retention, alarms that reach someone with a runbook, tags, protected production data.",
    enforcementLevel: "mandatory",
    policies,
});
