"""The TAXPORTAL_<SECTION>__<FIELD> environment variables, read by pydantic-settings.

Imported when a configuration is loaded (not by ``taxportal --help``: ~0.1 s). The TOML
file, the secrets' refusal in it and the one-line errors stay in ``config.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import create_model
from pydantic_settings import EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from taxportal.config import ENV_PREFIX


class _Environment(EnvSettingsSource):
    """``sections`` (name -> model) from ``env``: os.environ, or what a test passes."""

    def __init__(self, sections: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self._given = env
        fields: Any = {name: (model, None) for name, model in sections.items()}
        super().__init__(
            create_model("Sections", **fields),  # type: ignore[arg-type]
            case_sensitive=False,
            env_prefix=ENV_PREFIX,
            env_nested_delimiter="__",
        )

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._given, False, False, None)

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        # text that is not JSON reaches the model as typed: its error names section and field
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            return value


def env_values(sections: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """{section: {field: value}}: JSON for lists and tables, any other text (secrets too)
    verbatim; fields a model does not know are kept, for the model to refuse by name."""
    return _Environment(sections, env)()
