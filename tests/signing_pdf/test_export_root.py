"""`taxportal signing export-root`: the firm's root, the same on every run, for readers to trust."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from tests.core.test_cli import run


def test_the_root_made_on_first_start_is_exported_the_same_each_time(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    printed = run(tmp_path, "signing", "export-root", "--data-dir", "d")
    assert printed.returncode == 0, printed.stderr
    written = run(tmp_path, "signing", "export-root", "--data-dir", "d", "--out", "root.pem")
    assert written.returncode == 0 and "root.pem" in written.stdout
    pem = (tmp_path / "root.pem").read_bytes()
    assert pem.decode() == printed.stdout  # made once, stored, the same on the next start
    root = x509.load_pem_x509_certificate(pem)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "PRIVATE KEY" not in printed.stdout


def test_without_a_signer_it_says_what_to_enable(tmp_path: Path) -> None:
    env = {"TAXPORTAL_PLUGINS__DISABLED": '["signing_pdf"]'}
    assert run(tmp_path, "migrate", "--data-dir", "d", env=env).returncode == 0
    result = run(tmp_path, "signing", "export-root", "--data-dir", "d", env=env)
    assert result.returncode != 0 and "enable signing_pdf" in result.stderr
    assert "BEGIN CERTIFICATE" not in result.stdout
