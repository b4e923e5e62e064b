"""The project index: model detection through imports, fields, managers, caching."""

from __future__ import annotations

from pathlib import Path

from django_guarded.checker import Project, load_config, run
from django_guarded.checker.index import ProjectIndex
from tests.checker.conftest import MakeProject


def index_of(root: Path, **overrides: object) -> ProjectIndex:
    return ProjectIndex.build(root, load_config(root, overrides))


def test_guarded_model_fields_managers_and_transitions(shop: Path) -> None:
    index = index_of(shop)
    account = index.model("shop.models.Account")
    assert account is not None
    assert account.guarded
    assert {n: f.kind for n, f in account.fields.items()} == {
        "status": "fsm",
        "balance": "guarded",
        "name": "plain",
    }
    assert account.transitions == {"signup": "status"}
    assert account.operations == ["create_trial"]
    assert "shop.models.AccountManager" in account.manager_classes
    note = index.model("shop.models.Note")
    assert note is not None
    assert not note.guarded


def test_detection_follows_imports_not_class_names(make_project: MakeProject) -> None:
    root = make_project(
        {
            "base/__init__.py": "from .core import Model as Base\n",
            "base/core.py": """
                from django.db import models

                class Model(models.Model):
                    pass
            """,
            "app/__init__.py": "",
            "app/models.py": """
                from base import Base
                import django_guarded as dg

                class Model:  # named like Django's, but not one
                    pass

                class Real(Base):
                    title = dg.guarded(Base.__name__)

                class Fake(Model):
                    status = dg.FSMField()

                class Guarded(dg.GuardedModel):
                    pass
            """,
        }
    )
    index = index_of(root)
    assert index.model("app.models.Real") is not None
    assert index.model("app.models.Fake") is None
    guarded = index.model("app.models.Guarded")
    assert guarded is not None
    assert guarded.guarded


def test_star_imports_and_package_reexports(make_project: MakeProject) -> None:
    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/models/__init__.py": "from .account import *\n",
            "shop/models/account.py": """
                from django_guarded import GuardedModel
                class Account(GuardedModel):
                    pass
            """,
            "views.py": """
                from shop.models import Account
                def f():
                    Account.objects.create()
            """,
        }
    )
    _, result = run([root / "views.py"], root=root)
    assert [f.code for f in result.findings] == ["GRD302"]


def test_abstract_bases_and_inherited_guarded_fields(make_project: MakeProject) -> None:
    root = make_project(
        {
            "app/__init__.py": "",
            "app/models.py": """
                from django.db import models
                from django_guarded import guarded

                class Stamped(models.Model):
                    stamp = guarded(models.DateTimeField())
                    class Meta:
                        abstract = True

                class Thing(Stamped):
                    label = models.CharField(max_length=3)
            """,
        }
    )
    index = index_of(root)
    thing = index.model("app.models.Thing")
    assert thing is not None
    assert thing.guarded
    assert thing.fields["stamp"].kind == "guarded"
    assert thing.mro == ["app.models.Thing", "app.models.Stamped"]
    stamped = index.model("app.models.Stamped")
    assert stamped is not None
    assert stamped.abstract


def test_string_relation_targets(make_project: MakeProject) -> None:
    root = make_project(
        {
            "billing/__init__.py": "",
            "billing/models.py": """
                from django.db import models
                from django_guarded import GuardedModel

                class Invoice(GuardedModel):
                    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE)
                    parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
                    sibling = models.OneToOneField("Invoice", null=True, on_delete=models.CASCADE)
            """,
            "crm/__init__.py": "",
            "crm/models.py": """
                from django.db import models

                class Customer(models.Model):
                    pass
            """,
        }
    )
    index = index_of(root)
    invoice = index.model("billing.models.Invoice")
    assert invoice is not None
    assert index.field_target(invoice, "customer") == "crm.models.Customer"
    assert index.field_target(invoice, "parent") == "billing.models.Invoice"
    assert index.field_target(invoice, "sibling") == "billing.models.Invoice"
    assert index.reverse_accessor("crm.models.Customer", "invoice_set") == (
        "q",
        "billing.models.Invoice",
    )
    assert index.reverse_accessor("billing.models.Invoice", "invoice") == (
        "i",
        "billing.models.Invoice",
    )


def test_third_party_bases_from_config(make_project: MakeProject) -> None:
    files = {
        "app/__init__.py": "",
        "app/models.py": """
            from vendor_cms.models import Page
            from vendor_cms.managers import PageManager

            class BlogPage(Page):
                objects = PageManager()
        """,
        "app/views.py": """
            from app.models import BlogPage
            def publish(pk):
                page = BlogPage.objects.get(pk=pk)
                page.save()
        """,
    }
    root = make_project(files)
    _, result = run([root / "app/views.py"], root=root, overrides={"strict": True})
    assert result.findings == []  # vendor_cms is neither installed nor configured
    overrides = {
        "strict": True,
        "model-bases": ["vendor_cms.models.Page"],
        "manager-bases": ["vendor_cms.managers.PageManager"],
    }
    project, result = run([root / "app/views.py"], root=root, overrides=overrides)
    assert [f.code for f in result.findings] == ["GRD201"]
    page = project.index.model("app.models.BlogPage")
    assert page is not None
    assert "vendor_cms.managers.PageManager" in page.manager_classes


def test_installed_third_party_models_are_read_without_importing(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "accounts/__init__.py": "",
            "accounts/models.py": """
                from django.contrib.auth.models import AbstractUser

                class User(AbstractUser):
                    pass
            """,
        }
    )
    index = index_of(root)
    user = index.model("accounts.models.User")
    assert user is not None
    assert "email" in user.fields
    assert "django.contrib.auth.base_user.AbstractBaseUser" in user.mro
    assert index.stats.external_parsed > 0
    assert index_of(root, follow_imports=False).model("accounts.models.User") is None


def test_django_packages_without_models_are_not_read(make_project: MakeProject) -> None:
    """Views, forms and admin classes are subclassed everywhere; Django's sources
    for them are not read, while its model modules still are."""
    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/views.py": """
                from django import forms
                from django.contrib import admin
                from django.views.generic import DetailView

                class AccountView(DetailView):
                    pass

                class AccountForm(forms.ModelForm):
                    pass

                class AccountAdmin(admin.ModelAdmin):
                    pass
            """,
            "shop/models.py": """
                from django.contrib.admin.models import LogEntry

                class Entry(LogEntry):
                    class Meta:
                        proxy = True
            """,
        }
    )
    index = index_of(root, cache=False)
    assert index.model("shop.views.AccountView") is None
    assert index.model("shop.views.AccountAdmin") is None
    assert index.model("shop.models.Entry") is not None
    read = {name for name, summary in index._external.items() if summary is not None}
    assert "django.contrib.admin.models" in read
    assert not any(name.startswith(("django.views", "django.forms")) for name in read), read
    assert "django.contrib.admin.options" not in read


def test_second_run_parses_nothing(shop: Path) -> None:
    first = index_of(shop)
    assert first.stats.parsed == first.stats.files == 2
    assert first.stats.cache_written
    assert (shop / ".django-guarded-cache" / "index.json").is_file()
    assert (shop / ".django-guarded-cache" / ".gitignore").read_text().strip().endswith("*")

    second = index_of(shop)
    assert second.stats.parsed == 0
    assert second.stats.cached == 2
    assert second.stats.external_parsed == 0
    assert not second.stats.cache_written
    assert second.model("shop.models.Account") is not None


def test_cache_notices_changed_added_and_removed_files(shop: Path) -> None:
    index_of(shop)
    models = shop / "shop" / "models.py"
    models.write_text(models.read_text() + "\n\nclass Extra(Note):\n    pass\n")
    (shop / "shop" / "extra.py").write_text("X = 1\n")
    changed = index_of(shop)
    assert changed.stats.parsed == 2
    assert changed.model("shop.models.Extra") is not None
    (shop / "shop" / "extra.py").unlink()
    removed = index_of(shop)
    assert removed.stats.parsed == 0
    assert removed.stats.cache_written


def test_allowed_paths_are_left_out_of_the_index(shop: Path) -> None:
    """Tests and migrations are never checked, so they are not parsed for the index
    either; setting allowed-paths to nothing brings them back."""
    tests = shop / "shop" / "tests"
    tests.mkdir()
    (tests / "__init__.py").write_text("")
    (tests / "models.py").write_text(
        "from django.db import models\n\nclass Fixture(models.Model):\n    pass\n"
    )
    (shop / "shop" / "migrations").mkdir()
    (shop / "shop" / "migrations" / "0001_initial.py").write_text("X = 1\n")
    index = index_of(shop)
    assert index.stats.files == 2
    assert index.model("shop.tests.models.Fixture") is None
    assert index.model("shop.models.Account") is not None
    everything = index_of(shop, allowed_paths=(), cache=False)
    assert everything.stats.files == 5
    assert everything.model("shop.tests.models.Fixture") is not None


def test_cache_can_be_switched_off(shop: Path) -> None:
    index_of(shop, cache=False)
    assert not (shop / ".django-guarded-cache").exists()
    assert index_of(shop, cache=False).stats.parsed == 2


def test_a_corrupt_cache_is_ignored(shop: Path) -> None:
    folder = shop / ".django-guarded-cache"
    folder.mkdir()
    (folder / "index.json").write_text("{not json")
    assert index_of(shop).stats.parsed == 2
    assert index_of(shop).stats.parsed == 0


def test_cli_run_reuses_the_index_parse(shop: Path) -> None:
    (shop / "views.py").write_text(
        "from shop.models import Account\n\ndef f():\n    Account.objects.all().delete()\n"
    )
    project, result = run([shop], root=shop)
    assert project.index.stats.parsed == 3
    assert project.index.parsed == {}  # every kept tree was handed to the check
    assert [f.code for f in result.findings] == ["GRD402"]


def test_prefilter_skips_files_that_name_no_model(shop: Path) -> None:
    (shop / "util.py").write_text("def f(x):\n    x.save()\n")
    project, result = run([shop / "util.py"], root=shop)
    assert result.files == 1
    assert result.checked == 0
    assert isinstance(project, Project)


def test_parallel_cold_builds_parse_once(shop: Path) -> None:
    """Like flake8's workers starting together: one builds, the others read its cache."""
    import subprocess
    import sys

    for n in range(30):
        (shop / "shop" / f"mod{n}.py").write_text(f"class C{n}:\n    pass\n" * 50)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from django_guarded.checker import load_config\n"
        "from django_guarded.checker.index import ProjectIndex\n"
        "root = Path(sys.argv[1])\n"
        "print(ProjectIndex.build(root, load_config(root)).stats.parsed)\n"
    )
    repo = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": repo, "PATH": ""}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(shop)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(3)
    ]
    parsed = sorted(int(w.communicate()[0]) for w in workers)
    assert parsed == [0, 0, 32]
