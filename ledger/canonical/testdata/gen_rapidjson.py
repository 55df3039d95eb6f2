#!/usr/bin/env python3
"""Regenerates rapidjson.json, the vectors TestRapidJSONVectors checks.

Each vector is the output the reference servers produce for an input: they
decode with Python's json module and serialise with python-rapidjson using
the options Planetmint's serialize() passes. Run with a python3 that has
rapidjson (Debian: python3-rapidjson):

    python3 gen_rapidjson.py > rapidjson.json
"""
import json
import sys

import rapidjson

INPUTS = [
    '{}', '[]', 'null', 'true', 'false', '"plain"', '0', '-0', '7', '-12',
    '123456789012345678901234567890', '-123456789012345678901234567890',
    '1.0', '1.50', '-0.0', '0.0', '1E2', '1e2', '1e+2', '1e-2', '2.5E-3',
    '1e16', '1e15', '1234567890123456.0', '12345678901234567.0', '0.0001',
    '0.00001', '123.456e-10', '5e-324', '1e-400', '1.7976931348623157e308',
    '3.141592653589793', '100.0', '1e21', '1e22', '-1.5e-7', '0.1', '1e100',
    '{"b":1,"a":2,"c":{"z":[3,2,1],"y":null}}',
    '{"é":1,"z":2,"\\ud83d\\ude00":3,"\\uffff":4,"A":5,"a":6,"":7}',
    '"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f \\u007f"',
    '"quote \\" backslash \\\\ slash \\/ <>&"',
    '"\\u2028\\u2029 \\u00e9 \\ud83d\\ude00 \\ufeff"',
    '"Grüße ✓ 日本"',
    '{"asset":{"data":{"msg":"Grüße ✓ 日本"}},"metadata":{"n":1.0,"k":[true,false,null]}}',
    '[[[]],{},[{}],""]',
    ' \t\n{"spaced" : [ 1 , 2 ] }\n ',
    '{"dup":1,"dup":2}',
]

vectors = []
for text in INPUTS:
    out = rapidjson.dumps(json.loads(text), skipkeys=False,
                          ensure_ascii=False, sort_keys=True)
    vectors.append({"in": text, "out": out})
json.dump(vectors, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write("\n")
