"""Loaded by schemathesis (SCHEMATHESIS_HOOKS) before the fuzz run.

CPython 3.11.7 (this machine's) can raise `SystemError: AST constructor recursion depth
mismatch` from `ast.parse` when called deep in a stack, a bug fixed in later CPython
releases. Hypothesis calls `ast.parse` only to *describe* a lambda in a strategy's repr,
while validating a strategy; the SystemError then aborted a whole run (seen once in CI, in
no relation to Kensa's answers). The description is cosmetic: fall back to a plain name.
"""

from hypothesis.internal import lambda_sources

_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda"


lambda_sources.lambda_description = _lambda_description
