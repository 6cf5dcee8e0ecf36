"""The local stack's data directory is private: 0700, files 0600, secrets born private, no password on stdout."""
import os
import stat

import pytest


@pytest.fixture
def keep_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_an_old_world_readable_local_dir_becomes_private(tmp_path, keep_umask):
    from chalicelib.local_stack import _secret, private_dir

    data = tmp_path / ".local"
    data.mkdir(mode=0o755)
    (data / "cyberincident.db").write_bytes(b"x")
    os.chmod(data / "cyberincident.db", 0o644)
    private_dir(data)
    assert mode(data) == 0o700 and mode(data / "cyberincident.db") == 0o600
    _secret(data)
    (data / "later.log").write_text("made after the umask")
    assert mode(data / "secret_key") == 0o600 and mode(data / "later.log") == 0o600


def test_a_written_password_file_is_private_even_when_it_existed(tmp_path):
    from chalicelib.bootstrap import write_private

    f = tmp_path / "admin-password"
    f.write_text("old")
    os.chmod(f, 0o644)
    write_private(f, "s3cret\n")
    assert mode(f) == 0o600 and f.read_text() == "s3cret\n"
