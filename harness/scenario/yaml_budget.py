"""A budget on how far YAML aliases expand, so a small hostile file cannot hang a loader.

A "billion laughs" file is a few hundred bytes whose anchors each list ten aliases of the one
before: its node graph is tiny, but the data built from it (and everything that walks that
data) grows tenfold per level. Both loaders compose the node graph first, count what it
expands to here (memoized per shared node, so the count itself is cheap), and refuse
past the budget before any data is built.
"""

from __future__ import annotations

import yaml

__all__ = ["MAX_EXPANDED_NODES", "expanded_size"]

MAX_EXPANDED_NODES = 1_000_000
"""Far above any real scenario or cassette (the largest corpus file expands to ~20,000)."""


def expanded_size(root: yaml.Node, limit: int = MAX_EXPANDED_NODES) -> int:
    """Nodes the graph expands to when every alias is copied; stops counting past ``limit``."""
    sizes: dict[int, int] = {}
    # iterative post-order walk: deep nesting must not hit the recursion limit
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done and any(id(c) not in sizes for c in children):
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        sizes[id(node)] = min(limit + 1, 1 + sum(sizes.get(id(c), 0) for c in children))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
