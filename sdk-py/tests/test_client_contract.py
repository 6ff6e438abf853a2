"""The client against the server's contract, server/openapi.json: every operation (method + path) is
a row of the client's one operations table and a method of both clients, each row's operationId and
credentials are the document's, and the committed models are what the generator writes from it."""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from typing import Any, Dict, Set, Tuple

import pytest

import vectrade as vt
from vectrade.client import OPERATIONS
from vectrade.client import _operations as ops
from vectrade.client.models import DECODE, RESPONSES

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: Dict[str, Any] = json.loads((ROOT / "server" / "openapi.json").read_text())
METHODS = ("get", "post", "put", "patch", "delete")


def _document_operations() -> Dict[Tuple[str, str], Dict[str, Any]]:
    return {(m.upper(), path): op for path, item in DOCUMENT["paths"].items() for m, op in item.items() if m in METHODS}


def test_every_operation_of_the_document_is_a_row_of_the_table_and_back() -> None:
    in_doc = _document_operations()
    in_table = {(op.method, op.path): name for name, op in OPERATIONS.items()}
    assert len(in_doc) == 61
    assert sorted(set(in_doc) - set(in_table)) == [], "operations the client cannot reach"
    assert sorted(set(in_table) - set(in_doc)) == [], "rows the server does not serve"
    assert len(in_table) == len(OPERATIONS), "two rows name the same operation"
    for name, op in OPERATIONS.items():
        assert in_doc[(op.method, op.path)]["operationId"] == op.operation_id, name


def test_every_row_is_a_method_of_both_clients_that_sends_that_row() -> None:
    sync = vt.Client("http://127.0.0.1:9")
    asyncc = vt.AsyncClient("http://127.0.0.1:9")
    for name in OPERATIONS:
        group, method = name.split(".")
        for client in (sync, asyncc):
            fn = getattr(getattr(client, group), method)
            assert callable(fn), name
            source = inspect.getsource(fn)
            assert f'"{name}"' in source, f"{group}.{method} does not send its row {name}"


def _security(op: Dict[str, Any]) -> Set[str]:
    return {scheme for req in op.get("security") or [] for scheme in req}


def test_the_credentials_of_each_row_are_the_documents() -> None:
    expected = {
        ops.NONE: set(),
        ops.OPERATOR: set(),  # the local operator token is not in the document's schemes
        ops.KEY: {"api_key", "bearer"},
        ops.JWT: {"bearer"},
        ops.BOT: {"bot_key"},
        ops.JOURNAL: {"api_key"},
    }
    doc = _document_operations()
    for name, op in OPERATIONS.items():
        assert _security(doc[(op.method, op.path)]) == expected[op.auth], name


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_client_models", ROOT / "scripts" / "gen-client-models.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_models_are_what_the_generator_writes_from_the_document() -> None:
    gen = _generator()
    committed = (ROOT / "sdk-py" / "python" / "vectrade" / "client" / "models.py").read_text()
    assert committed == gen.render(DOCUMENT), "stale: run python scripts/gen-client-models.py"


def test_the_models_cover_every_schema_and_every_answer() -> None:
    from vectrade.client import models

    for name in DOCUMENT["components"]["schemas"]:
        assert hasattr(models, name), name
    assert set(RESPONSES) == set(_document_operations())
    # money fields decode as Decimal: numbers everywhere, decimal strings on the bot and agent routes
    assert DECODE["BotOrder"]["limit_price"] == "decimal_string" and DECODE["StepOut"]["cash"] == "decimal"
    assert (
        DECODE["AgentResponse"]["starting_balance"] == "decimal_string"
        and DECODE["MarketOut"]["bars"] == "ref:BarsBySymbol"
    )


def test_each_row_decodes_a_documented_success_body() -> None:
    doc = _document_operations()
    for name, op in OPERATIONS.items():
        kind = RESPONSES[(op.method, op.path)]
        assert any(s.startswith("2") for s in doc[(op.method, op.path)]["responses"]), name
        if kind.startswith(("ref:", "list:")):
            assert kind.split(":", 1)[1] in DOCUMENT["components"]["schemas"], name
        else:
            assert kind in ("json", "text", "empty"), name


def test_request_decimals_follow_the_document_exactly() -> None:
    from decimal import Decimal

    from vectrade.client._transport import encode_body

    # a number field gets the exact digits as a JSON number, a string field a decimal string
    body = {
        "transactions": [
            {"quantity": Decimal("0.00000001"), "filledPrice": Decimal("170.10"), "trimLevel": Decimal("1E+1")}
        ]
    }
    assert json.loads(encode_body(body, "CreateTradeIn"), parse_float=Decimal) == {
        "transactions": [{"quantity": Decimal("0.00000001"), "filledPrice": "170.10", "trimLevel": 10}]
    }
    assert encode_body({"quantity": Decimal("0.1"), "limit_price": Decimal("185.00")}, "TradeIn") == (
        b'{"quantity": 0.1, "limit_price": 185.00}'
    )
    assert encode_body({"starting_balance": Decimal("25000")}, "CreateAgent") == b'{"starting_balance": "25000"}'
    with pytest.raises(ValueError):
        encode_body({"quantity": Decimal("NaN")}, "TradeIn")
