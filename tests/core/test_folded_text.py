"""The portal's fixed text is translated when a template compiles, and reads the same as
when it was translated at every render."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from taxportal import i18n
from taxportal.web.folded_text import FoldedTranslations

PAGE = (
    '<th>{{ _("File Name") }}</th>'
    '<li>{{ _("One special (@$!%%*?&)") }}</li>'
    '<p>{{ _("Upload") ~ "!" }}</p>'
    '<p>{{ names._("Upload") }}</p>'
    '<a aria-label="{{ _("Remove %(name)s", name=file.name) }}"></a>'
    '<p>{{ _("Accepted files: %(types)s, up to %(mb)s MB each.", '
    'types=", ".join(["PDF", file.name|upper]), mb=(10, 20)[0],) }}</p>'
)
FILE = {"name": "<b>W-2 & co</b>"}


def environment(root: Path, language: str, folded_root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=True,
        extensions=["jinja2.ext.i18n", FoldedTranslations],
    )
    env.folded_language = language  # type: ignore[attr-defined]
    env.folded_root = str(folded_root)  # type: ignore[attr-defined]
    i18n.install_gettext(env)
    return env


class Names:
    def _(self, text: str) -> str:  # an attribute that merely shares the name
        return f"<{text}>"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    return tmp_path


def render(env: jinja2.Environment, lang: str) -> str:
    return env.get_template("page.html").render(lang=lang, names=Names(), file=FILE)


@pytest.mark.parametrize("language", ["en", "es"])
def test_folded_text_reads_as_the_runtime_translation(templates: Path, language: str):
    folded = render(environment(templates, language, templates), language)
    runtime = render(environment(templates, language, templates / "elsewhere"), language)
    assert folded == runtime


def test_spanish_is_baked_in_and_the_percent_sign_is_single(templates: Path):
    page = render(
        environment(templates, "es", templates), "en"
    )  # the context's lang no longer matters
    assert "<th>Nombre del archivo</th>" in page
    assert "<li>Un carácter especial (@$!%*?&)</li>" in page  # safe, as the runtime made it
    assert "%%" not in page
    assert "<p>Subir!</p>" in page
    assert "<p>&lt;Upload&gt;</p>" in page  # names._(...) is the object's method, untouched


def test_templates_outside_the_core_are_translated_at_render_time(templates: Path):
    env = environment(templates, "es", templates / "core-only")
    assert "<th>File Name</th>" in render(env, "en")
    assert "<th>Nombre del archivo</th>" in render(env, "es")


def test_text_with_values_is_baked_in_and_the_values_escaped(templates: Path):
    page = render(environment(templates, "es", templates), "en")
    assert '<a aria-label="Eliminar &lt;b&gt;W-2 &amp; co&lt;/b&gt;"></a>' in page
    assert (
        "<p>Archivos aceptados: PDF, &lt;B&gt;W-2 &amp; CO&lt;/B&gt;, de hasta 10 MB cada uno.</p>"
        in page
    )


def test_text_missing_a_value_still_fails_as_at_render_time(templates: Path):
    """A placeholder without its value is left to the runtime call, which raises."""
    (templates / "page.html").write_text('{{ _("Remove %(name)s", other=1) }}')
    for root in (templates, templates / "elsewhere"):
        with pytest.raises(KeyError):
            environment(templates, "es", root).get_template("page.html").render(lang="es")
