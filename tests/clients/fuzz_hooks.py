"""Loaded by schemathesis (SCHEMATHESIS_HOOKS) before the fuzz run.

CPython 3.11.7 (this machine's) can raise `SystemError: AST constructor recursion depth
mismatch` from `ast.parse` when called deep in a stack, a bug fixed in later CPython
releases. Hypothesis calls `ast.parse` only to *describe* a lambda in a strategy's repr,
while validating a strategy; the SystemError then aborted a whole run (seen once in CI, in
no relation to Kensa's answers). The description is cosmetic: fall back to a plain name.

It also gives schemathesis bodies for the one media type it cannot generate from a schema,
the check-sheet workbook's upload.
"""

import schemathesis
from hypothesis import strategies as st
from hypothesis.internal import lambda_sources

_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda"


lambda_sources.lambda_description = _lambda_description


# The check-sheet workbook's upload (PUT …/workbook) takes an .xlsx body, which schemathesis
# cannot generate from a schema: random bytes and truncated zip archives, each refused with a
# 4xx problem (never a 500), are what the fuzz run sends there.
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
schemathesis.openapi.media_type(
    _XLSX,
    st.one_of(st.binary(max_size=2048), st.binary(max_size=2048).map(lambda rest: b"PK\x03\x04" + rest)),
)
