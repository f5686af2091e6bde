// Reads a JSON array of rendered Kubernetes objects on stdin and validates each against the
// OpenAPI schema its kubernetes-models class carries (required fields, types, enums, formats).
// Prints one line per object; exits 1 if any is invalid or has no model.
import { readFileSync } from "node:fs";

const objects = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;
for (const obj of objects) {
  const name = `${obj.apiVersion}/${obj.kind} ${obj.metadata?.name}`;
  // "v1" → kubernetes-models/v1/Kind; "apps/v1" → kubernetes-models/apps/v1/Kind; CRDs in their packages.
  const pkg = obj.apiVersion.startsWith("monitoring.coreos.com/") ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
  let Model;
  try {
    Model = (await import(`${pkg}/${obj.apiVersion}/${obj.kind}`))[obj.kind];
  } catch (e) {
    console.log(`NO MODEL ${name}: ${e.message}`);
    failed++;
    continue;
  }
  try {
    new Model(obj).validate();
    console.log(`ok ${name}`);
  } catch (e) {
    console.log(`INVALID ${name}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
