"""The project index: which classes are models, which of them are guarded, their
fields, managers and transitions, found by parsing source files (never importing).

Model detection follows imports and base classes, not class names: a class is
a model when one of its bases resolves, through the modules' imports, to
``django.db.models.Model`` (or a configured ``model-bases`` entry). Installed
third-party modules that project models derive from are read from
``sys.path`` as source, when ``follow-imports`` is on.

Summaries of the project's files are cached by mtime and size (see
`django_guarded.checker.cache`); everything derived from them is
recomputed each run, which takes milliseconds.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_guarded.checker import cache
from django_guarded.checker.config import Config
from django_guarded.checker.models import ClassInfo, FieldInfo, ModelInfo, app_label_for
from django_guarded.checker.paths import iter_python_files, module_name
from django_guarded.checker.summary import STR_REF, Summary, summarize

MODEL_ROOTS = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
MANAGER_ROOTS = frozenset(
    {
        "django.db.models.Manager",
        "django.db.models.manager.Manager",
        "django.db.models.manager.BaseManager",
        "django.db.models.QuerySet",
        "django.db.models.query.QuerySet",
    }
)
GUARDED_PACKAGE = "django_guarded"
FSM_PACKAGE = "django_fsm"
FSM_FIELD_NAMES = frozenset({"FSMField", "FSMIntegerField", "FSMKeyField"})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
_DJANGO_WITHOUT_MODELS = (
    "django.apps",
    "django.conf",
    "django.contrib.admin",
    "django.core",
    "django.db.backends",
    "django.db.migrations",
    "django.db.models",
    "django.dispatch",
    "django.forms",
    "django.http",
    "django.middleware",
    "django.template",
    "django.templatetags",
    "django.test",
    "django.urls",
    "django.utils",
    "django.views",
)
"""Installed Django packages that define no model or manager a project could derive
from (the roots in ``django.db.models`` are known by name, and
``django.contrib.admin.models`` is excepted): views, forms and the like are
subclassed everywhere, and reading their source would only cost time."""
_MAX_DEPTH = 30


def is_guarded_name(qualname: str, last: str) -> bool:
    """Whether ``qualname`` is the django-guarded object called ``last``."""
    return qualname.startswith(GUARDED_PACKAGE + ".") and qualname.rpartition(".")[2] == last


@dataclass
class IndexStats:
    """What one load of the index cost: observable proof that the cache works."""

    files: int = 0
    parsed: int = 0
    cached: int = 0
    external_parsed: int = 0
    external_cached: int = 0
    cache_written: bool = False


@dataclass
class ParsedFile:
    """A file parsed while building the index, kept so the check can reuse it."""

    source: bytes
    tree: ast.Module | None


@dataclass
class _Lookup:
    files: dict[str, cache.Entry] = field(default_factory=dict)
    external: dict[str, cache.Entry] = field(default_factory=dict)


class ProjectIndex:
    """Models, managers and fields of a project, resolved statically."""

    def __init__(self, root: Path, config: Config) -> None:
        self.root = root
        self.config = config
        self.stats = IndexStats()
        self.modules: dict[str, Summary] = {}
        self.module_files: dict[str, Path] = {}
        self.parsed: dict[Path, ParsedFile] = {}
        self._external: dict[str, Summary | None] = {}
        self._external_entries: dict[str, cache.Entry] = {}
        self._cached_external: dict[str, cache.Entry] = {}
        self._external_allowed = config.follow_imports
        self._tops: set[str] = set()
        self._canon: dict[str, tuple[str, str]] = {}
        self._resolving: set[str] = set()
        self._classes: dict[str, ClassInfo | None] = {}
        self._models: dict[str, ModelInfo | None] = {}
        self._ref_models: dict[str, str | None] = {}
        self._by_label: dict[tuple[str, str], list[str]] | None = None
        self._reverse: dict[str, dict[str, tuple[str, str] | None]] | None = None
        self._related: dict[tuple[str, str], bool] = {}
        self._users: dict[str, list[ModelInfo]] | None = None
        self._model_roots = MODEL_ROOTS | set(config.model_bases)
        self._guarded_roots = frozenset(config.guarded_model_bases)
        self._manager_roots = MANAGER_ROOTS | set(config.manager_bases)

    # ------------------------------------------------------------------ build

    @classmethod
    def build(
        cls,
        root: Path,
        config: Config,
        extra_paths: Iterable[Path] = (),
        keep: frozenset[Path] = frozenset(),
    ) -> ProjectIndex:
        """Index the project under ``root`` (plus ``extra_paths``), using the cache.

        Files in ``keep`` that had to be parsed are kept in `parsed`, so a
        caller checking them does not parse them twice.
        """
        index = cls(root, config)
        paths = [(root / p).resolve() for p in config.index_paths]
        prefixes = tuple(str(p).rstrip(os.sep) + os.sep for p in paths)
        for extra in extra_paths:
            resolved = extra.resolve()
            if resolved not in paths and not str(resolved).startswith(prefixes):
                paths.append(resolved)
        if not config.cache:
            index._load(paths, None, keep)
            return index
        cache_dir = root / config.cache_dir
        with cache.locked(cache_dir):
            index._load(paths, cache_dir, keep)
        return index

    def _load(self, paths: list[Path], cache_dir: Path | None, keep: frozenset[Path]) -> None:
        """Summarize every file (from the cache when unchanged), resolve, save."""
        config = self.config
        old = _Lookup(*cache.load(cache_dir)) if cache_dir is not None else _Lookup()
        new_files: dict[str, cache.Entry] = {}
        # Files under allowed paths (tests, migrations) are never checked, and the
        # code that is checked does not import its models from them: leaving them
        # out of the index saves most of a cold run on a project with many tests.
        # Patterns anchored at the root are kept, as paths here are relative to
        # each index path rather than to the root.
        skipped = config.exclude + tuple(
            pattern for pattern in config.all_allowed_paths if not pattern.startswith("/")
        )
        for path in iter_python_files(paths, skipped):
            if str(path) not in new_files:
                self._add_file(path, old.files, new_files, keep)
        self._cached_external = old.external
        self._finish()
        dirty = bool(
            self.stats.parsed
            or self.stats.external_parsed
            or new_files.keys() != old.files.keys()
            or old.external.keys() != self._external_entries.keys()
        )
        if cache_dir is not None and dirty:
            self.stats.cache_written = cache.save(cache_dir, new_files, self._external_entries)

    def _add_file(
        self,
        path: Path,
        old: dict[str, cache.Entry],
        new: dict[str, cache.Entry],
        keep: frozenset[Path],
    ) -> None:
        try:
            stat = path.stat()
        except OSError:
            return
        module, is_package = module_name(path)
        key = str(path)
        entry = old.get(key)
        self.stats.files += 1
        if (
            entry is not None
            and entry[0] == stat.st_mtime_ns
            and entry[1] == stat.st_size
            and entry[2] == module
            and entry[3] == is_package
        ):
            self.stats.cached += 1
            summary: Summary = entry[4]
        else:
            self.stats.parsed += 1
            try:
                source = path.read_bytes()
            except OSError:
                return
            tree = parse_source(source)
            summary = summarize(tree, module, is_package) if tree is not None else {}
            if path in keep:
                self.parsed[path] = ParsedFile(source, tree)
        new[key] = [stat.st_mtime_ns, stat.st_size, module, is_package, summary]
        self.add_module(module, summary, path)

    def add_module(self, module: str, summary: Summary, path: Path | None = None) -> None:
        """Register a summarized module (also used for files outside the index)."""
        self.modules[module] = summary
        self._tops.add(module.partition(".")[0])
        if path is not None:
            self.module_files[module] = path

    def _finish(self) -> None:
        """Resolve every project class now, so that the installed modules read are
        the same on every run, then relation targets (class references first:
        they may bring in more models; string references need them all)."""
        for module in self.config.external_modules:
            self._module(module)
        models = []
        for module, summary in list(self.modules.items()):
            for name in summary.get("classes", {}):
                model = self.model(f"{module}.{name}")
                if model is not None:
                    models.append(model)
        for by_string in (False, True):
            self._by_label = None
            for model in models:
                for name, info in model.fields.items():
                    if info.target is not None and info.target.startswith(STR_REF) == by_string:
                        self.field_target(model, name)
        self._external_allowed = False
        self._by_label = None
        self._reverse = None
        self._users = None

    # ------------------------------------------------------------- modules

    def _module(self, name: str) -> Summary | None:
        summary = self.modules.get(name)
        if summary is not None:
            return summary
        if name in self._external:
            return self._external[name]
        if not self._external_allowed:
            return None
        top = name.partition(".")[0]
        if (
            top in self._tops
            or top in _STDLIB
            or top == GUARDED_PACKAGE
            or top == "builtins"
            or _without_models(name)
        ):
            self._external[name] = None
            return None
        found = _find_on_sys_path(name)
        result: Summary | None = None
        if found is not None:
            path, is_package = found
            result = self._external_summary(name, path, is_package)
        self._external[name] = result
        return result

    def _external_summary(self, name: str, path: Path, is_package: bool) -> Summary | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        entry = self._cached_external.get(name)
        if entry is not None and entry[0] == stat.st_mtime_ns and entry[1] == stat.st_size:
            self.stats.external_cached += 1
            summary: Summary = entry[4]
        else:
            try:
                tree = parse_source(path.read_bytes())
            except OSError:
                return None
            self.stats.external_parsed += 1
            summary = summarize(tree, name, is_package) if tree is not None else {}
        self._external_entries[name] = [stat.st_mtime_ns, stat.st_size, name, is_package, summary]
        return summary

    def canonical(self, qualname: str, depth: int = 0) -> tuple[str, str]:
        """Follow imports and re-exports: ``(kind, dotted name)``.

        ``kind`` is ``"class"``, ``"alias"`` (a ``from_queryset`` manager),
        ``"module"`` or ``"unknown"`` (outside the index, or a root class).
        """
        known = self._canon.get(qualname)
        if known is not None:
            return known
        if qualname in self._resolving:  # an import cycle, e.g. two star imports
            return ("unknown", qualname)
        self._resolving.add(qualname)
        try:
            result = self._canonical(qualname, depth)
        finally:
            self._resolving.discard(qualname)
        self._canon[qualname] = result
        return result

    def _canonical(self, qualname: str, depth: int) -> tuple[str, str]:
        if depth > _MAX_DEPTH or self._root_kind(qualname):
            return ("unknown", qualname)
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            summary = self._module(module)
            if summary is None:
                continue
            rest = parts[cut:]
            if not rest:
                return ("module", module)
            head, tail = rest[0], rest[1:]
            if head in summary.get("classes", ()):
                return ("class", f"{module}.{head}") if not tail else ("unknown", qualname)
            alias = summary.get("aliases", {}).get(head)
            if alias is not None:
                if len(alias) == 1:
                    return self.canonical(".".join([alias[0], *tail]), depth + 1)
                return ("alias", f"{module}.{head}") if not tail else ("unknown", qualname)
            target = summary.get("imports", {}).get(head)
            if target is not None and target != f"{module}.{head}":
                return self.canonical(".".join([target, *tail]), depth + 1)
            for star in summary.get("stars", ()):
                if star != module and self._module(star) is not None:
                    found = self.canonical(".".join([star, *rest]), depth + 1)
                    if found[0] != "unknown":
                        return found
            return ("unknown", qualname)
        return ("unknown", qualname)

    def _root_kind(self, qualname: str) -> str | None:
        if qualname in self._model_roots:
            return "model"
        if qualname in self._guarded_roots or is_guarded_name(qualname, "GuardedModel"):
            return "guarded"
        if qualname in self._manager_roots:
            return "manager"
        if is_guarded_name(qualname, "GuardedManager") or is_guarded_name(
            qualname, "GuardedQuerySet"
        ):
            return "manager"
        return None

    # ------------------------------------------------------------- classes

    def _record(self, qualname: str) -> tuple[list[str | None], dict[str, Any]] | None:
        module, _, name = qualname.rpartition(".")
        summary = self._module(module)
        if summary is None:
            return None
        record = summary.get("classes", {}).get(name)
        if record is not None:
            return record["bases"], record
        alias = summary.get("aliases", {}).get(name)
        if alias is not None:
            return list(alias), {}
        return None

    def class_info(self, qualname: str) -> ClassInfo | None:
        """What kind of class ``qualname`` (a canonical class name) is."""
        if qualname in self._classes:
            return self._classes[qualname]
        self._classes[qualname] = None  # breaks inheritance cycles
        found = self._record(qualname)
        if found is None:
            return None
        bases, record = found
        info = ClassInfo(qualname, record)
        for base in bases:
            if base is None or base.startswith(STR_REF):
                continue
            kind = self._root_kind(base)
            target = base
            if kind is None:
                resolved_kind, target = self.canonical(base)
                kind = self._root_kind(target)
                if kind is None and resolved_kind in ("class", "alias"):
                    parent = self.class_info(target)
                    if parent is not None:
                        info.inherit(parent)
                    continue
            if kind == "guarded":
                info.is_model = info.guarded_base = True
            elif kind == "model":
                info.is_model = True
            elif kind == "manager":
                info.is_manager = True
        self._classes[qualname] = info
        return info

    def model(self, qualname: str) -> ModelInfo | None:
        """The `ModelInfo` of a canonical model class name, else ``None``."""
        if qualname in self._models:
            return self._models[qualname]
        self._models[qualname] = None
        info = self.class_info(qualname)
        if info is None or not info.is_model:
            return None
        model = ModelInfo.start(info, app_label_for(qualname, info.record))
        for parent_name in reversed(info.model_bases):
            parent = self.model(parent_name)
            if parent is not None:
                model.inherit(parent)
        self._own_attributes(model, info.record)
        model.finish(info.guarded_base)
        self._models[qualname] = model
        return model

    def _own_attributes(self, model: ModelInfo, record: dict[str, Any]) -> None:
        for name, outer in record.get("attrs", {}).items():
            attr = outer
            wrapped = "inner" in outer and is_guarded_name(
                self.canonical(outer["call"])[1], "guarded"
            )
            if wrapped:
                attr = outer["inner"]
            call_kind, call = self.canonical(attr["call"])
            last = call.rpartition(".")[2]
            manager = self._root_kind(call) == "manager"
            if not manager and call_kind in ("class", "alias"):
                parent = self.class_info(call)
                manager = parent is not None and parent.is_manager
            if manager or (name == "objects" and last.endswith(("Manager", "QuerySet"))):
                classes = [call] + [self.canonical(extra)[1] for extra in attr.get("extra", ())]
                model.add_manager(name, classes, self._manager_family(classes))
                continue
            kind = _field_kind(call, last, wrapped=wrapped)
            if kind is None:
                continue
            model.fields[name] = FieldInfo(
                name, kind, _relation(last), attr.get("to"), attr.get("related"), model.qualname
            )
        for method, decorators in record.get("methods", {}).items():
            for decorator, field_name in decorators:
                target = self.canonical(decorator)[1]
                last = target.rpartition(".")[2]
                if last == "transition" and target.startswith((GUARDED_PACKAGE, FSM_PACKAGE)):
                    model.transitions[method] = field_name
                elif is_guarded_name(target, "operation"):
                    model.model_operations.append(method)

    def _manager_family(self, classes: list[str]) -> tuple[set[str], list[str]]:
        family: set[str] = set()
        operations: list[str] = []
        todo = list(classes)
        while todo:
            name = todo.pop()
            if name in family:
                continue
            family.add(name)
            if self._root_kind(name):
                continue
            info = self.class_info(name)
            if info is None:
                continue
            todo.extend(info.bases)
            for method, decorators in info.record.get("methods", {}).items():
                if any(is_guarded_name(self.canonical(d)[1], "operation") for d, _ in decorators):
                    operations.append(method)
        return family, operations

    # ------------------------------------------------------------ relations

    def field_target(self, model: ModelInfo, name: str) -> str | None:
        """The model a relation field of ``model`` points to, if it can be told."""
        info = model.fields.get(name)
        if info is None or info.relation is None or info.target is None:
            return None
        if info.resolved is not None:
            return info.resolved or None
        target = info.target
        result: str | None = None
        if target.startswith(STR_REF):
            result = self._string_target(target[len(STR_REF) :], info.owner)
        else:
            kind, qualname = self.canonical(target)
            if kind == "class" and self.model(qualname) is not None:
                result = qualname
        info.resolved = result or ""
        return result

    def _string_target(self, text: str, owner: str) -> str | None:
        if text == "self":
            return owner
        owner_model = self.model(owner)
        if "." in text:
            label, _, name = text.rpartition(".")
        else:
            label, name = (owner_model.app_label if owner_model else ""), text
            same_module = f"{owner.rpartition('.')[0]}.{name}"
            if self.model(same_module) is not None:
                return same_module
        candidates = self.models_by_label().get((label, name), [])
        return candidates[0] if len(candidates) == 1 else None

    def models_by_label(self) -> dict[tuple[str, str], list[str]]:
        """Every known model by ``(app_label, class name)``."""
        if self._by_label is None:
            table: dict[tuple[str, str], list[str]] = {}
            for model in self.all_models():
                table.setdefault((model.app_label, model.name), []).append(model.qualname)
            self._by_label = table
        return self._by_label

    def all_models(self) -> list[ModelInfo]:
        """Every model class resolved so far (the project's and those it derives from)."""
        return [m for m in self._models.values() if m is not None]

    def reverse_accessor(self, target: str, accessor: str) -> tuple[str, str] | None:
        """``("q", model)`` or ``("i", model)`` for ``instance_of_target.<accessor>``."""
        if self._reverse is None:
            self._reverse = {}
            for source in self.all_models():
                if source.abstract:
                    continue
                for name, info in source.fields.items():
                    self._add_reverse(source, name, info)
        return self._reverse.get(target, {}).get(accessor)

    def _add_reverse(self, source: ModelInfo, name: str, info: FieldInfo) -> None:
        assert self._reverse is not None
        target = self.field_target(source, name)
        if target is None or info.relation is None:
            return
        related = info.related_name
        if related is None:
            base = source.name.lower()
            related = base if info.relation == "o2o" else base + "_set"
        if related.endswith("+") or "%(" in related:
            return
        kind = "i" if info.relation == "o2o" else "q"
        table = self._reverse.setdefault(target, {})
        value = (kind, source.qualname)
        table[related] = value if table.get(related, value) == value else None

    # --------------------------------------------------------------- lookups

    def model_for_ref(self, qualname: str) -> str | None:
        """The canonical model name a dotted reference points to, else ``None``."""
        if qualname in self._ref_models:
            return self._ref_models[qualname]
        kind, target = self.canonical(qualname)
        result = target if kind == "class" and self.model(target) is not None else None
        self._ref_models[qualname] = result
        return result

    def model_names(self) -> frozenset[str]:
        """Class names of every known model: a file naming none of them cannot be
        about models, which lets the checker skip it unread."""
        return frozenset(m.name for m in self.all_models())

    def related(self, enclosing: str, model: str) -> bool:
        """Whether code in class ``enclosing`` may write to ``model``: the model
        itself, a model in its inheritance chain, or one of its managers."""
        key = (enclosing, model)
        known = self._related.get(key)
        if known is not None:
            return known
        target = self.model(model)
        result = False
        if target is not None:
            if enclosing in target.mro or enclosing in target.manager_classes:
                result = True
            else:
                mine = self.model(enclosing)
                result = mine is not None and model in mine.mro
                # the manager of a subclass or proxy writes the same table
                result = result or any(
                    model in user.mro for user in self._manager_users().get(enclosing, ())
                )
        self._related[key] = result
        return result

    def _manager_users(self) -> dict[str, list[ModelInfo]]:
        """Manager and queryset class -> the models that use it."""
        if self._users is None:
            users: dict[str, list[ModelInfo]] = {}
            for model in self.all_models():
                for name in model.manager_classes:
                    users.setdefault(name, []).append(model)
            self._users = users
        return self._users

    def has_guarded_models(self) -> bool:
        """Whether any model is guarded (else only GRD501 can fire outside strict/fsm)."""
        return any(m.guarded for m in self.all_models())


def _field_kind(call: str, last: str, *, wrapped: bool) -> str | None:
    if last in FSM_FIELD_NAMES:
        if call.startswith(GUARDED_PACKAGE + "."):
            return "fsm"
        if call.startswith(FSM_PACKAGE + "."):
            return "guarded" if wrapped else "fsm_ext"
    if not (last.endswith(("Field", "Key")) or last in ("ForeignKey", "OneToOneField")):
        return None
    return "guarded" if wrapped else "plain"


def _relation(last: str) -> str | None:
    if "ManyToMany" in last:
        return "m2m"
    if "OneToOne" in last:
        return "o2o"
    if last.endswith("ForeignKey") or last in ("ParentalKey", "FSMKeyField"):
        return "fk"
    return None


def parse_source(source: bytes) -> ast.Module | None:
    """The syntax tree of a file's bytes, or ``None`` when it is not valid Python."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


_FOUND: dict[str, tuple[Path, bool] | None] = {}


def _find_on_sys_path(module: str) -> tuple[Path, bool] | None:
    """Locate a module's source on ``sys.path`` without importing anything."""
    if module in _FOUND:
        return _FOUND[module]
    relative = module.replace(".", os.sep)
    result: tuple[Path, bool] | None = None
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        package = os.path.join(entry, relative, "__init__.py")
        if os.path.isfile(package):
            result = (Path(package), True)
            break
        plain = os.path.join(entry, relative + ".py")
        if os.path.isfile(plain):
            result = (Path(plain), False)
            break
    _FOUND[module] = result
    return result


def _without_models(module: str) -> bool:
    """Whether an installed module is one of Django's that hold no model class."""
    if not module.startswith("django.") or module == "django.contrib.admin.models":
        return False
    return any(
        module == prefix or module.startswith(prefix + ".") for prefix in _DJANGO_WITHOUT_MODELS
    )
