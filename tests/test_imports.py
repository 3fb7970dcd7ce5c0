"""No import circles in ganjax (lazy imports inside functions count too):
data flows one way, config -> data -> state -> step -> loop -> sampling /
evaluation / pictures."""

import ast
import os

from conftest import ROOT

PACKAGE = os.path.join(ROOT, 'ganjax')


def _modules() -> dict[str, str]:
  found = {}
  for root, _, files in os.walk(PACKAGE):
    for name in files:
      if name.endswith('.py'):
        path = os.path.join(root, name)
        rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, '.')
        found[rel[:-len('.__init__')] if rel.endswith('.__init__')
              else rel] = path
  return found


def _edges(modules: dict[str, str]) -> dict[str, set[str]]:
  edges = {}
  for module, path in modules.items():
    with open(path) as f:
      tree = ast.parse(f.read())
    out = set()
    for node in ast.walk(tree):
      if isinstance(node, ast.ImportFrom) and node.module and (
          node.module == 'ganjax' or node.module.startswith('ganjax.')):
        for alias in node.names:
          sub = f'{node.module}.{alias.name}'
          out.add(sub if sub in modules else node.module)
      elif isinstance(node, ast.Import):
        out.update(a.name for a in node.names if a.name in modules)
    out.discard(module)
    out.discard('ganjax')  # The package's own __init__ (the API) only.
    edges[module] = out
  return edges


def test_no_module_of_ganjax_imports_itself_through_others():
  modules = _modules()
  edges = _edges(modules)
  assert edges['ganjax.loop'] >= {'ganjax.evaluation', 'ganjax.state'}
  cycles, state = [], {}

  def visit(node, trail):
    state[node] = 'open'
    for nxt in sorted(edges.get(node, ())):
      if state.get(nxt) == 'open':
        cycles.append(trail[trail.index(nxt):] + [nxt])
      elif nxt not in state:
        visit(nxt, trail + [nxt])
    state[node] = 'done'
  for module in sorted(modules):
    if module not in state:
      visit(module, [module])
  assert not cycles, [' -> '.join(c) for c in cycles]
