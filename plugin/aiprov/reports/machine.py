"""Reports for machines: JSON (schemas/scan-report.schema.json), JUnit XML and CSV.

JUnit makes the gate readable by any CI server a facility already runs: one
test case per file, a failure per error finding, warnings in system-out.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from ..scanning import ScanResult

CSV_FIELDS = ["path", "zone", "verdict", "generator", "digital_source_type", "content_id", "rule", "severity",
              "message"]


def to_json(result: ScanResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry most control characters (a newline in a file name is fine).
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else f"\\x{ord(c):02x}" for c in text)


def to_junit(result: ScanResult) -> str:
    s = result.summary()
    suites = ET.Element("testsuites", name="aiprov", tests=str(s["files"]), failures=str(s["findings"]["error"]))
    suite = ET.SubElement(suites, "testsuite", name=f"aiprov scan: {result.production or ', '.join(result.roots)}",
                          tests=str(s["files"]), failures=str(s["findings"]["error"]), errors="0", skipped="0",
                          time=f"{s['seconds']:.3f}")
    for fr in result.files:
        insp = fr.inspection
        case = ET.SubElement(suite, "testcase", classname=f"{fr.zone}", name=_xml_safe(insp.path))
        for f in fr.findings:
            if f.severity == "error":
                fail = ET.SubElement(case, "failure", message=_xml_safe(f"{f.rule}: {f.message}"), type=f.rule)
                fail.text = _xml_safe(f"{insp.path}\nverdict: {insp.verdict}\n{f.message}")
        notes = [f"{f.rule}: {f.message}" for f in fr.findings if f.severity != "error"] + insp.warnings
        out = ET.SubElement(case, "system-out")
        out.text = _xml_safe("\n".join([f"verdict: {insp.verdict}" + (f" ({insp.generator})" if insp.generator else ""),
                                        *notes]))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def to_csv(result: ScanResult) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    w.writeheader()
    for fr in result.files:
        i = fr.inspection
        base = {"path": i.path, "zone": fr.zone, "verdict": i.verdict, "generator": i.generator or "",
                "digital_source_type": i.digital_source_type or "", "content_id": i.content_id or ""}
        if not fr.findings:
            w.writerow({**base, "rule": "", "severity": "", "message": ""})
        for f in fr.findings:
            w.writerow({**base, "rule": f.rule, "severity": f.severity, "message": f.message})
    return buf.getvalue()
