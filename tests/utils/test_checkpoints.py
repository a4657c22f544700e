"""Checkpoint download helper: fails fast offline, rejects SHA mismatches, writes atomically."""
import hashlib
import io
import time
import urllib.error

import pytest

from centersam_mm.utils import checkpoints as ck


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv('CENTERSAM_CACHE', str(tmp_path / 'cache'))
    return tmp_path / 'cache'


def _fake_spec(monkeypatch, payload: bytes, sha: str):
    spec = ck.CheckpointSpec('sam_fake', 'sam_tiny_test', 'https://example.invalid/sam_fake.pth',
                             sha, len(payload))
    monkeypatch.setitem(ck.OFFICIAL_CHECKPOINTS, 'sam_fake', spec)
    return spec


def test_no_network_fails_fast_with_one_line(cache, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError('Temporary failure in name resolution')
    monkeypatch.setattr(ck.urllib.request, 'urlopen', offline)
    start = time.time()
    with pytest.raises(ck.CheckpointError) as err:
        ck.download_checkpoint('sam_vit_h')
    msg = str(err.value)
    assert time.time() - start < 1
    assert '\n' not in msg
    assert 'https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth' in msg
    assert str(cache / 'sam_vit_h_4b8939.pth') in msg
    assert not list(cache.glob('*.part'))


def test_sha_mismatch_rejected_and_partial_removed(cache, monkeypatch):
    payload = b'not the real weights'
    _fake_spec(monkeypatch, payload, '0' * 64)
    monkeypatch.setattr(ck.urllib.request, 'urlopen', lambda *a, **k: io.BytesIO(payload))
    with pytest.raises(ck.CheckpointError, match='SHA-256'):
        ck.download_checkpoint('sam_fake')
    assert list(cache.iterdir()) == []


def test_good_download_is_written_and_found(cache, monkeypatch):
    payload = b'weights' * 100
    spec = _fake_spec(monkeypatch, payload, hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(ck.urllib.request, 'urlopen', lambda *a, **k: io.BytesIO(payload))
    path = ck.download_checkpoint('sam_fake')
    assert path == cache / spec.filename and path.read_bytes() == payload
    assert ck.resolve_checkpoint('sam_fake') == path
    assert [p.name for p in cache.iterdir()] == [spec.filename]


def test_missing_named_checkpoint_says_what_to_do(cache):
    with pytest.raises(ck.CheckpointError, match='download_checkpoint.py sam_vit_b'):
        ck.resolve_checkpoint('sam_vit_b')


def test_unknown_name_or_missing_path(cache):
    with pytest.raises(ck.CheckpointError, match='neither a file nor a known name'):
        ck.resolve_checkpoint('no_such_model')


def test_official_table_is_complete():
    for name, spec in ck.OFFICIAL_CHECKPOINTS.items():
        assert spec.url.startswith('https://dl.fbaipublicfiles.com/segment_anything/sam_')
        assert spec.sha256 is not None and len(spec.sha256) == 64
        assert spec.arch == name[len('sam_'):]
