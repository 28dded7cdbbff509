"""Pulls the district's FHIR bulk export as the regional platform would (kick-off, manifest, files) and
validates every resource with fhir.resources' R4B models; then a referral's and a clinic session's
bundles. Fails on an invalid resource, a reference to a Patient that was not exported, a whole identity
number anywhere, or a district whose export is not whole (one Patient per resident)."""
import json
import re
import sys
import urllib.request

from fhir.resources.R4B import get_fhir_model_class

base, token, district, residents = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
WHOLE_ID = re.compile(rb"(?<![0-9])[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X](?![0-9])")


def get(path, headers=None):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}", **(headers or {})})
    return urllib.request.urlopen(request, timeout=600)


def validate(resource):
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)


# The validator refuses what is not FHIR: an Observation without its code, a Patient with a field R4B lacks.
for bad in ({"resourceType": "Observation", "status": "final"}, {"resourceType": "Patient", "sexe": "female"}):
    try:
        validate(bad)
    except Exception:
        continue
    raise AssertionError(f"the validator accepted {bad}")

kick = get(f"/v1/fhir/$export?districtId={district}", {"Prefer": "respond-async", "Accept": "application/fhir+json"})
assert kick.status == 202, kick.status
manifest = json.load(get(kick.headers["Content-Location"]))
assert manifest["requiresAccessToken"] is True and manifest["error"] == []
counts, patients, references = {}, set(), []
for output in manifest["output"]:
    kind, n = output["type"], 0
    with get(output["url"]) as body:
        assert body.headers["Content-Type"].startswith("application/fhir+ndjson"), body.headers["Content-Type"]
        for line in body:
            assert not WHOLE_ID.search(line), f"a whole identity number in {kind}"
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            validate(resource)
            if kind == "Patient":
                patients.add(resource["id"])
                assert re.fullmatch(r"\d{4}", resource["birthDate"]), "a birth date beyond the year"
            subject = resource.get("subject", {}).get("reference", "")
            if subject.startswith("Patient/"):
                references.append(subject[len("Patient/"):])
            n += 1
    counts[kind] = n
missing = {r for r in references if r not in patients}
assert not missing, f"{len(missing)} references to Patients not exported, e.g. {sorted(missing)[:3]}"
assert counts["Patient"] == residents, f"{counts['Patient']} Patients for {residents} residents"
assert counts["Observation"] > 0 and counts["Encounter"] > 0 and counts["Flag"] > 0 and counts["CareTeam"] > 0, counts

# The bundles that were there before the bulk export: a referral slip and a clinic session.
bundles = 0
slips = json.load(get("/v1/referrals?limit=5"))["items"]
sessions = json.load(get("/v1/clinic-sessions?limit=5"))["items"]
for path in [f"/v1/referrals/{s['id']}/fhir" for s in slips] + [f"/v1/clinic-sessions/{s['id']}/fhir" for s in sessions]:
    bundle = json.load(get(path))
    validate(bundle)
    for entry in bundle.get("entry", []):
        validate(entry["resource"])
    bundles += 1
assert bundles > 0
print("fhir export: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + f"; {bundles} bundles (Task/ServiceRequest, Schedule/Slot/Appointment); all valid FHIR R4B")
