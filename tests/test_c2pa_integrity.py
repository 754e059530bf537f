"""C2PA integrity states a delivery QC operator can act on: "someone changed this file" is
`tampered`; "this manifest is old or malformed" is `unsupported`, `unreadable` or `malformed`.

Every manifest here is signed by c2pa-python's Builder with the public test key, then
changed where a state needs it by real byte surgery on the JUMBF store inside the JPEG's
APP11 segments (same length, so every other byte stays where the signature put it):

- a claim stored as a JSON box, as pre-1.0 CAI drafts stored it (c2pa-rs detects that
  as pre-release);
- a COSE `alg` header naming an unassigned algorithm; a claim with no hashing algorithm
  (the case of c2pa-rs's own `no_alg.jpg` fixture);
- a CAWG identity assertion without its required fields, signed as it is, so that every
  hash and the signature match (c2pa reports `assertion.required.missing`);
- garbage in the actions assertion's CBOR, which c2pa refuses to read at all.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import c2pa
import pytest
from PIL import Image

from aiprov.markers import IPTC_DST

from .conftest import CORPUS
from .helpers import aiprov, copy, read, schema_validator

KEYS = CORPUS / "keys"
TRAINED = IPTC_DST + "trainedAlgorithmicMedia"
CAPTURE = IPTC_DST + "digitalCapture"
BY_FIREFLY = [{"action": "c2pa.created", "digitalSourceType": TRAINED, "softwareAgent": {"name": "Adobe Firefly"}}]
BY_CAMERA = [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]
# A CAWG identity assertion must carry signer_payload, signature and pad1; this one carries none.
BROKEN_IDENTITY = {"label": "cawg.identity", "data": {"signer_payload": "nobody"}}
# This one has every field, but what it signs is not a list of hashed URIs c2pa can decode.
MISTYPED_IDENTITY = {"label": "cawg.identity", "data": {
    "signer_payload": {"referenced_assertions": [{"url": 5, "hash": 7}], "sig_type": "cawg.x509.cose"},
    "signature": "AA==", "pad1": "AA=="}}
# IPTC metadata, which can declare AI (c2pa decodes it into a typed form too).
AI_METADATA = {"label": "c2pa.metadata", "data": {
    "@context": {"Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"},
    "Iptc4xmpExt:DigitalSourceType": TRAINED}}


def signed_jpeg(actions=BY_FIREFLY, extra_assertions=()) -> bytes:
    buf = io.BytesIO()
    g = Image.linear_gradient("L").resize((64, 48))
    Image.merge("RGB", (g, g.rotate(90), g.transpose(Image.FLIP_LEFT_RIGHT))).save(buf, "JPEG", quality=90)
    manifest = {"claim_generator_info": [{"name": "aiprov tests", "version": "1"}], "title": "shot.jpg",
                "format": "image/jpeg",
                "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}, *extra_assertions]}
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(
        "es256", (KEYS / "es256_certs.pem").read_bytes(), (KEYS / "es256_private.key").read_bytes(), None))
    builder = c2pa.Builder(json.dumps(manifest))
    try:
        out = io.BytesIO()
        builder.sign(signer, "image/jpeg", io.BytesIO(buf.getvalue()), out)
        return out.getvalue()
    finally:
        builder.close()
        signer.close()


# --- JUMBF surgery -----------------------------------------------------------------


def jumbf_spans(jpeg: bytes) -> list[tuple[int, int]]:
    """(file offset, length) of the JUMBF bytes in each APP11 segment, in order.

    JPEG XT: FF EB, length, "JP", instance, sequence number, then the box; each
    continuation segment repeats the box's LBox and TBox (8 bytes) before its share.
    """
    spans, pos = [], 2
    while jpeg[pos] == 0xFF and jpeg[pos + 1] != 0xDA:
        (n,) = struct.unpack(">H", jpeg[pos + 2:pos + 4])
        if jpeg[pos + 1] == 0xEB and jpeg[pos + 4:pos + 6] == b"JP":
            start = pos + 4 + 8 + (8 if spans else 0)
            spans.append((start, pos + 2 + n - start))
        pos += 2 + n
    return spans


def box_in_store(jpeg: bytes, path: str, box_type: bytes) -> int:
    """Offset in the JUMBF store of the first `box_type` box inside the superbox at `path` (".../c2pa.claim.v2")."""
    store = b"".join(jpeg[s:s + n] for s, n in jumbf_spans(jpeg))

    def walk(start: int, end: int, where: str):
        while start + 8 <= end:
            size, kind = struct.unpack(">I4s", store[start:start + 8])
            if kind == b"jumb":
                desc = start + 8
                label = store[desc + 8 + 17:desc + struct.unpack(">I", store[desc:desc + 4])[0]].split(b"\0")[0]
                yield from walk(start + 8, start + size, f"{where}/{label.decode()}")
            else:
                yield where, kind, start
            start += size

    return next(at for where, kind, at in walk(0, len(store), "") if where.endswith(path) and kind == box_type)


def patched(jpeg: bytes, store_offset: int, new: bytes) -> bytes:
    """The JPEG with bytes of its JUMBF store replaced in place, wherever the segments split them."""
    out, seen = bytearray(jpeg), 0
    for k, byte in enumerate(new):
        want = store_offset + k
        seen = 0
        for start, n in jumbf_spans(jpeg):
            if want < seen + n:
                out[start + want - seen] = byte
                break
            seen += n
    return bytes(out)


def pre_release(jpeg: bytes) -> bytes:
    """The claim's content box typed `json`: how CAI drafts before C2PA 1.0 stored the claim."""
    return patched(jpeg, box_in_store(jpeg, "/c2pa.claim.v2", b"cbor") + 4, b"json")


def unknown_signing_algorithm(jpeg: bytes) -> bytes:
    """The COSE protected header's alg (1: -7, ES256) made -16, which no registry assigns to a signature."""
    sig = box_in_store(jpeg, "/c2pa.signature", b"cbor") + 8
    store = b"".join(jpeg[s:s + n] for s, n in jumbf_spans(jpeg))
    at = store.index(b"\xa2\x01\x26", sig, sig + 16)  # map(2) {1: -7, ...} at the start of the protected header
    return patched(jpeg, at + 2, b"\x2f")


def no_hashing_algorithm(jpeg: bytes) -> bytes:
    """The claim's "alg" key renamed, so the claim names no hashing algorithm."""
    claim = box_in_store(jpeg, "/c2pa.claim.v2", b"cbor") + 8
    store = b"".join(jpeg[s:s + n] for s, n in jumbf_spans(jpeg))
    return patched(jpeg, store.index(b"\x63alg", claim) + 1, b"xlg")


def garbled_actions(jpeg: bytes) -> bytes:
    return patched(jpeg, box_in_store(jpeg, "/c2pa.actions.v2", b"cbor") + 8, b"\xff\xff")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- what inspect reports ---------------------------------------------------------------


def test_pre_release_cai_manifest_is_unsupported_not_tampered(tmp_path, tools):
    insp = read(write(tmp_path / "old_cai.jpg", pre_release(signed_jpeg())), tools)

    assert insp.c2pa.present and insp.c2pa.integrity == "unsupported"
    assert "com.adobe.prerelease" in insp.c2pa.status_codes
    assert "pre-release" in insp.c2pa.error
    assert insp.c2pa.trusted is None  # nobody could check the signer either
    # Nothing in it could be read: no provenance, not "read and found not AI".
    assert insp.verdict == "unknown" and "cannot be read or checked" in insp.reason


def test_unknown_signing_algorithm_is_unsupported_but_pixels_changed_beside_it_are_still_tampered(tmp_path, tools):
    jpeg = unknown_signing_algorithm(signed_jpeg())
    insp = read(write(tmp_path / "new_alg.jpg", jpeg), tools)

    assert insp.c2pa.integrity == "unsupported"
    # c2pa also says claimSignature.mismatch: it could not check the signature, nothing was changed.
    assert {"algorithm.unsupported", "claimSignature.mismatch"} <= set(insp.c2pa.status_codes)
    assert insp.verdict == "ai" and insp.generator == "Adobe Firefly"

    sos = jpeg.rindex(b"\xff\xda")
    flip = sos + 2 + struct.unpack(">H", jpeg[sos + 2:sos + 4])[0] + 40
    assert jpeg[flip] not in (0xFF, 0x00) and jpeg[flip - 1] != 0xFF
    pixel_changed = jpeg[:flip] + bytes([jpeg[flip] ^ 1]) + jpeg[flip + 1:]
    retouched = read(write(tmp_path / "retouched.jpg", pixel_changed), tools)

    assert retouched.c2pa.integrity == "tampered"
    assert "assertion.dataHash.mismatch" in retouched.c2pa.status_codes


def test_claim_naming_no_hashing_algorithm_is_unsupported_not_tampered(tmp_path, tools):
    insp = read(write(tmp_path / "no_alg.jpg", no_hashing_algorithm(signed_jpeg())), tools)

    assert insp.c2pa.present and insp.c2pa.integrity == "unsupported"
    assert "algorithm.unsupported" in insp.c2pa.status_codes
    assert insp.verdict == "unknown"


@pytest.mark.parametrize("identity", [BROKEN_IDENTITY, MISTYPED_IDENTITY], ids=["fields-missing", "mistyped"])
def test_broken_cawg_identity_is_malformed_and_the_ai_declaration_beside_it_is_still_read(tmp_path, tools, identity):
    path = write(tmp_path / "identity.jpg", signed_jpeg(extra_assertions=[identity]))
    report = json.loads(c2pa.Reader("image/jpeg", io.BytesIO(path.read_bytes())).json())
    assert report["manifests"] == {}  # c2pa drops the whole manifest from its summary

    insp = read(path, tools)

    assert insp.c2pa.integrity == "malformed"
    assert "assertion.required.missing" in insp.c2pa.status_codes
    assert "cawg.identity" in insp.c2pa.error
    assert insp.c2pa.trusted is False  # the test signer, kept apart as always
    assert insp.verdict == "ai" and insp.generator == "Adobe Firefly"
    assert insp.c2pa.claim_generator == "aiprov tests/1"


def test_manifest_c2pa_cannot_summarise_fails_closed_when_aiprov_cannot_tell_which_assertion_broke(tmp_path, tools):
    # The identity is broken, but a metadata assertion (which can declare AI, and which
    # c2pa decodes too) sits beside it: aiprov cannot prove which of the two failed.
    path = write(tmp_path / "two.jpg",
                 signed_jpeg(actions=BY_CAMERA, extra_assertions=[MISTYPED_IDENTITY, AI_METADATA]))

    insp = read(path, tools)

    assert insp.c2pa.integrity == "unreadable"
    assert "does not say which" in insp.c2pa.error


def test_actions_assertion_c2pa_cannot_decode_is_unreadable_not_tampered(tmp_path, tools):
    insp = read(write(tmp_path / "actions.jpg", garbled_actions(signed_jpeg())), tools)

    assert insp.c2pa.present and insp.c2pa.integrity == "unreadable"
    assert "c2pa.actions.v2" in insp.c2pa.error
    assert insp.verdict == "unknown"


def test_c2pa_store_holding_no_manifest_c2pa_can_find_is_unreadable_not_tampered(tmp_path, tools):
    jpeg = signed_jpeg()
    uuid = box_in_store(jpeg, "/c2pa", b"jumd") + 8  # the store's type, 63327061-0011-0010-8000-00AA00389B71
    insp = read(write(tmp_path / "store.jpg", patched(jpeg, uuid, b"xxxx")), tools)

    assert insp.c2pa.present and insp.c2pa.integrity == "unreadable"
    assert "found no manifest" in insp.c2pa.error


def test_an_actions_assertion_that_fails_to_decode_hides_the_ai_declaration_so_it_is_not_merely_malformed():
    # No signer lets a broken actions assertion through with valid hashes, so this is the
    # mapping alone, on codes and URLs in the form c2pa reports them.
    from aiprov.c2pa_integrity import sort_failures

    url = "self#jumbf=/c2pa/urn:c2pa:0b5c/c2pa.assertions/"
    broken_actions = sort_failures([("signingCredential.untrusted", None),
                                    ("assertion.cbor.invalid", url + "c2pa.actions.v2")])
    broken_thumbnail = sort_failures([("assertion.cbor.invalid", url + "c2pa.thumbnail.claim")])

    assert broken_actions.integrity == "unreadable" and broken_actions.trust == ["signingCredential.untrusted"]
    assert broken_thumbnail.integrity == "malformed"


# --- what the gate does with them ---------------------------------------------------------


def production(tmp_path: Path) -> Path:
    prod = tmp_path / "prod"
    write(prod / "aiprov.toml", b'[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n')
    return prod


def findings(report: dict) -> dict[str, set[tuple[str, str]]]:
    """{"finals/a.jpg": {(rule, severity), ...}} for every file of a scan report."""
    return {"/".join(Path(f["path"]).parts[-2:]): {(x["rule"], x["severity"]) for x in f["findings"]}
            for f in report["files"]}


def test_old_manifest_in_finals_fails_the_gate_as_unverifiable_not_tampered_until_approved(tmp_path, ledger_target):
    prod = production(tmp_path)
    old = pre_release(signed_jpeg(actions=BY_CAMERA))
    write(prod / "finals" / "old_cai.jpg", old)
    write(prod / "working" / "old_cai.jpg", old)
    write(prod / "finals" / "no_alg.jpg", no_hashing_algorithm(signed_jpeg(actions=BY_CAMERA)))
    ledger = ["--ledger", str(ledger_target)]

    first = aiprov("scan", prod, "--format", "json", *ledger)
    report = json.loads(first.stdout)

    assert first.returncode == 1
    assert findings(report) == {"finals/old_cai.jpg": {("unverifiable-provenance", "error")},
                                "working/old_cai.jpg": {("unverifiable-provenance", "warning")},
                                "finals/no_alg.jpg": {("unverifiable-provenance", "error")}}
    message = next(f["message"] for r in report["files"] if r["path"].endswith("finals/old_cai.jpg")
                   for f in r["findings"])
    assert "pre-release" in message and "not by itself a sign that the file was altered" in message
    schema = schema_validator("scan-report.schema.json")
    assert not list(schema.iter_errors(report))

    for name in ("old_cai.jpg", "no_alg.jpg"):
        approved = aiprov("approve", prod / "finals" / name, "--by", "Dana Whitfield", "--reason",
                          "camera original, supplier confirmed", "--reference", "NH-0042", *ledger)
        assert approved.returncode == 0, approved.stderr
    again = aiprov("scan", prod, "--format", "json", *ledger)

    assert again.returncode == 0
    assert findings(json.loads(again.stdout))["finals/old_cai.jpg"] == {("unverifiable-provenance", "warning")}


def test_broken_identity_assertion_in_finals_is_a_warning_that_does_not_stop_the_delivery(tmp_path, ledger_target):
    prod = production(tmp_path)
    write(prod / "finals" / "capture.jpg", signed_jpeg(actions=BY_CAMERA, extra_assertions=[BROKEN_IDENTITY]))

    r = aiprov("scan", prod, "--format", "json", "--ledger", str(ledger_target))

    assert r.returncode == 0, r.stdout
    assert findings(json.loads(r.stdout)) == {"finals/capture.jpg": {("malformed-provenance", "warning")}}


def test_inspect_says_which_state_a_manifest_is_in(tmp_path):
    write(tmp_path / "old_cai.jpg", pre_release(signed_jpeg()))
    write(tmp_path / "identity.jpg", signed_jpeg(extra_assertions=[BROKEN_IDENTITY]))
    copy(CORPUS / "c2pa" / "XCA.jpg", tmp_path / "XCA.jpg")

    text = aiprov("inspect", tmp_path).stdout
    as_json = json.loads(aiprov("inspect", "--json", tmp_path).stdout)

    assert "C2PA: unsupported" in text and "C2PA: malformed" in text and "C2PA: tampered" in text
    assert not list(schema_validator("inspect.schema.json").iter_errors(as_json))
    assert {Path(r["path"]).name: r["c2pa"]["integrity"] for r in as_json} == {
        "old_cai.jpg": "unsupported", "identity.jpg": "malformed", "XCA.jpg": "tampered"}
