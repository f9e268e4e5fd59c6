"""Every bus subscription in the code names a topic some message class declares.

The test reads the source of every module (AST), finds the places that subscribe or dispatch
(`subscribe(...)`, `Subscriber(...)`, `BusReader(...)`, `setsockopt(zmq.SUBSCRIBE, ...)`, the
`{topic: Message}` tables given to `subscribe`, module-level dispatch tables, comparisons with
`.topic`), evaluates each topic expression in its module, and checks that the topic is the
`TOPIC` of a message class of `core/messages/`, its prefix (`TOPIC + "."`) or, for a class whose
`topic()` adds a suffix, such a topic. A second test finds bus topics spelled as strings
outside `core/messages/`: topics are built from the message classes and the builders there
(`alive_topic`, `intent_topic`, `ALIVE_PREFIX`...).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import core.messages
from core.messages import Message

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "modes", "dialogs", "assistant", "sensors", "watch", "kiosk")
NO_LITERALS = ("core", "modes", "dialogs", "assistant", "sensors", "watch", "kiosk", "bench")
"""Where no topic is spelled as a string (everywhere but core/messages/)."""

FORWARDED = {
    ("core/bus.py", "topic.encode()"),  # Subscriber(topics): the callers' topics
    ("core/bus.py", "probe.topic()"),  # a Probe's own topic, to see the bus carry it
    ("core/service.py", "topics"),  # Runtime.subscribe: the callers' topics
    ("modes/running.py", "list(topics)"),  # Driven.subscribe: the callers' table
    ("dialogs/mqtt.py", "[(t, 1) for t in topics]"),  # MQTT topics, not the bus
    ("kiosk/qtbus.py", "topic.encode()"),  # BusReader(topics): the caller's topics
}
"""Subscriptions whose topics are a parameter: the callers' topics are checked instead."""

SUBSCRIBERS = {"subscribe": 0, "Subscriber": 1, "BusReader": 1}
"""Callables that take topics, and the position of the topics argument."""


def declared() -> dict[str, type[Message]]:
    """TOPIC -> message class, for every message class of core/messages/."""
    for info in pkgutil.iter_modules(core.messages.__path__, "core.messages."):
        importlib.import_module(info.name)
    out: dict[str, type[Message]] = {}
    todo = list(Message.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("core.messages.") and "TOPIC" in vars(cls):
            out[cls.TOPIC] = cls
    return out


def resolve(topic: str, topics: dict[str, type[Message]]) -> type[Message] | None:
    """The message class whose messages `topic` names (None: no class declares it)."""
    if topic in topics:
        return topics[topic]
    for base in sorted(topics, key=len, reverse=True):
        cls = topics[base]
        if topic == base + ".":
            return cls
        if topic.startswith(base + ".") and cls.topic is not Message.topic:
            return cls
    return None


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def sites(tree: ast.AST) -> Iterator[tuple[ast.expr, bool]]:
    """(topic expression, is a subscription) for every place that subscribes or dispatches."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _callee(node)
            if name in SUBSCRIBERS:
                at = SUBSCRIBERS[name]
                keyword = next((k.value for k in node.keywords if k.arg == "topics"), None)
                if keyword is not None:
                    yield keyword, True
                elif len(node.args) > at:
                    yield node.args[at], True
            elif name == "setsockopt" and len(node.args) == 2 \
                    and ast.unparse(node.args[0]).endswith("zmq.SUBSCRIBE"):
                yield node.args[1], True
            elif name == "startswith" and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Attribute) \
                    and node.func.value.attr == "topic" and node.args:
                yield node.args[0], False
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1 \
                and isinstance(node.left, ast.Attribute) and node.left.attr == "topic":
            yield node.comparators[0], False


def _topics(value: Any) -> list[tuple[str, Any]]:
    """(topic, expected class or None) for an evaluated topic expression."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        return [(value, None)]
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items()]
    return [(t, None) for t in value]


def _is_message(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Message)


def tables(module: ModuleType) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """Module-level dispatch tables: {topic: Message class} or rows (topic, ..., class, ...)."""
    for name, value in vars(module).items():
        if isinstance(value, dict) and value and all(
                isinstance(k, str) and _is_message(v) for k, v in value.items()):
            yield name, list(value.items())
        elif isinstance(value, (tuple, list)) and value and all(
                isinstance(row, tuple) and row and isinstance(row[0], str)
                and any(_is_message(cell) for cell in row) for row in value):
            yield name, [(row[0], next(c for c in row if _is_message(c))) for row in value]


def imported(tree: ast.AST) -> dict[str, Any]:
    """The names a module's import statements bind, those inside functions included."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            try:
                module = importlib.import_module(node.module)
            except ImportError:  # an optional driver (gpio, a speech engine)
                continue
            for alias in node.names:
                if hasattr(module, alias.name):
                    names[alias.asname or alias.name] = getattr(module, alias.name)
    return names


def check(path: str, tree: ast.AST, namespace: dict[str, Any],
          topics: dict[str, type[Message]]) -> list[str]:
    """What is wrong with the subscriptions and dispatches of one module's source."""
    problems: list[str] = []
    namespace = {**imported(tree), **namespace}
    for expr, subscription in sites(tree):
        text = ast.unparse(expr)
        try:
            value = eval(compile(ast.Expression(expr), path, "eval"), namespace)
        except Exception:  # a parameter or a local: its callers are checked
            if subscription and (path, text) not in FORWARDED:
                problems.append(f"{path}:{expr.lineno}: cannot tell what {text} subscribes to")
            continue
        for topic, expected in _topics(value):
            cls = resolve(topic, topics)
            if cls is None:
                problems.append(f"{path}:{expr.lineno}: {topic!r} ({text}) is declared by no "
                                "message class")
            elif expected is not None and cls is not expected:
                problems.append(f"{path}:{expr.lineno}: {topic!r} carries {cls.__name__}, "
                                f"not {getattr(expected, '__name__', expected)}")
    return problems


def _check_tables(path: str, module: ModuleType,
                  topics: dict[str, type[Message]]) -> list[str]:
    problems = []
    for name, rows in tables(module):
        for topic, expected in rows:
            cls = resolve(topic, topics)
            if cls is not expected:
                problems.append(f"{path}: {name}: {topic!r} carries "
                                f"{cls.__name__ if cls else 'no message'}, not "
                                f"{expected.__name__}")
    return problems


def modules(packages: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(path relative to the repo, module name) of every module of `packages`."""
    for package in packages:
        for file in sorted((ROOT / package).rglob("*.py")):
            rel = file.relative_to(ROOT).as_posix()
            yield rel, rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def test_every_subscription_names_a_declared_topic() -> None:
    topics = declared()
    problems: list[str] = []
    seen = 0
    for rel, name in modules(PACKAGES):
        tree = ast.parse((ROOT / rel).read_text(), rel)
        found = list(sites(tree))
        seen += sum(subscription for _, subscription in found)
        module = importlib.import_module(name)
        if found:
            problems += check(rel, tree, vars(module), topics)
        problems += _check_tables(rel, module, topics)
    assert not problems, "\n".join(problems)
    assert seen > 30  # the walk does find the house's subscriptions


UNDECLARED = textwrap.dedent("""
    from core.messages.alive import ALIVE_PREFIX
    from core.messages.dialogs import Intent, intent_topic
    from core.messages.watch import Alert

    async def serve(rt, machine, envelope):
        rt.subscribe([ALIVE_PREFIX, Alert.TOPIC], print)
        machine.subscribe({intent_topic("HassTurnOn"): Intent})
        rt.subscribe(["basecamp.nowhere"], print)
        machine.subscribe({Alert.TOPIC: Intent})
        rt.subscribe(forgotten, print)
        if envelope.topic == "basecamp.watch.alarm":
            pass
""")


def test_an_undeclared_topic_fails_the_check() -> None:
    tree = ast.parse(UNDECLARED)
    namespace: dict[str, Any] = {}
    exec(compile(tree, "fake.py", "exec"), namespace)
    problems = check("fake.py", tree, namespace, declared())
    assert [p.split(": ", 1)[1] for p in problems] == [
        "'basecamp.nowhere' (['basecamp.nowhere']) is declared by no message class",
        "'basecamp.watch.alert' carries Alert, not Intent",
        "cannot tell what forgotten subscribes to",
        "'basecamp.watch.alarm' ('basecamp.watch.alarm') is declared by no message class"]


def test_a_dispatch_table_row_must_carry_its_class() -> None:
    from core.messages.watch import Alert, PowerState
    fake = ModuleType("fake")
    fake.ROWS = (("basecamp.watch.alert", "incidents", Alert), ("basecamp.watch.alert", PowerState))
    assert _check_tables("fake.py", fake, declared()) == [
        "fake.py: ROWS: 'basecamp.watch.alert' carries Alert, not PowerState"]


TOPIC_TEXT = re.compile(r"basecamp\.[a-z_]+(\.|$)")


def literals(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Strings (and f-strings) in code, not docstrings, that begin like a bus topic."""
    skip = {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    skip |= {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
             for part in node.values}  # an f-string is judged whole
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and TOPIC_TEXT.match(str(head.value)):
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in skip and TOPIC_TEXT.match(node.value) \
                and not node.value.endswith(".toml"):
            yield node.lineno, node.value


def _own_topic(tree: ast.AST) -> set[int]:
    """Lines where a message class (a bench's own) declares its TOPIC."""
    return {node.lineno for node in ast.walk(tree) if isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name) and node.target.id == "TOPIC"}


@pytest.mark.parametrize("package", NO_LITERALS)
def test_no_topic_is_spelled_as_a_string(package: str) -> None:
    spelled = []
    for rel, _ in modules((package,)):
        if rel.startswith("core/messages/"):
            continue
        tree = ast.parse((ROOT / rel).read_text(), rel)
        own = _own_topic(tree)
        spelled += [f"{rel}:{line}: {text}" for line, text in literals(tree) if line not in own]
    assert not spelled, "\n".join(spelled)


def test_a_spelled_topic_is_found() -> None:
    tree = ast.parse('"""Heard on basecamp.alive."""\nA = "basecamp.alive."\n'
                     'B = f"basecamp.alive.{host}"\nC = "basecamp.toml"\n')
    assert list(literals(tree)) == [(2, "basecamp.alive."), (3, "f'basecamp.alive.{host}'")]
