"""moto_server for the benchmarks, reading only the bytes a part-numbered or ranged GET asks for.

moto 5 answers GET ?partNumber=N and GET with a Range header by reading the whole object into memory and slicing it,
under the object's lock: a parallel download of a 5 GB archive in 8 MiB parts (the product's parts, or boto3's ranges
in the pipe) would read about 3 TB, one request at a time, and small archives pay it too. Real S3 serves a part
without reading the rest, so the benchmark's S3 does too. Nothing else changes; the test suite runs moto as is.

Usage: the same arguments as moto_server (scripts/bench.sh starts it through MOTO_SERVER_SCRIPT).
"""
import sys

from moto.s3.responses import S3Response
from moto.server import main

_whole_object_part = S3Response._set_multipart_part_headers


class _Value:
    """A key's value as the handlers use it: its length, and slices read from the key's buffer alone."""

    def __init__(self, key):
        self._key = key

    def __getitem__(self, part):
        with self._key.lock:
            self._key._value_buffer.seek(part.start)
            return self._key._value_buffer.read(part.stop - part.start)

    def __len__(self):
        return self._key.size

    def __iter__(self):
        # a response the range handler left whole (a range it ignores) is sent whole
        yield self._key.value


class _PartReading:
    """The key, with a value that reads slices instead of the whole object."""

    def __init__(self, key):
        self._key = key

    @property
    def value(self):
        return _Value(self._key)

    def __getattr__(self, name):
        return getattr(self._key, name)


def _one_part(key, part_number, response_headers, checksum_mode):
    return _whole_object_part(_PartReading(key), part_number, response_headers, checksum_mode)


_get_object = S3Response.get_object


def _get_object_ranged(self):
    if not self.headers.get("range") or self._get_int_param("partNumber"):
        return _get_object(self)
    get_key = self._get_key

    def key_reading_slices(*args, **kwargs):
        key, not_modified = get_key(*args, **kwargs)
        return _PartReading(key), not_modified

    self._get_key = key_reading_slices
    try:
        return _get_object(self)
    finally:
        del self._get_key


S3Response._set_multipart_part_headers = staticmethod(_one_part)
S3Response.get_object = _get_object_ranged

if __name__ == "__main__":
    sys.exit(main())
