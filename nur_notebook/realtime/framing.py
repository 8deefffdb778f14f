"""Cut a stream of PCM16 bytes of any length into 20-40 ms input frames, as a pure object.

Callers hand ``send_audio`` whatever they have (a browser's 128-sample worklet blocks, a
whole WAV file, an odd number of bytes from a socket). ``InputFramer`` buffers it and
returns wire frames of whole samples, 20 ms (640 bytes) to 40 ms (1,280 bytes) of 16 kHz
mono audio each, numbered in order. What is left over waits for the next call, or for
``flush()`` when the turn is committed.

    >>> framer = InputFramer()
    >>> [len(f) for f in framer.push(b"\\x00" * 1_900)]   # 8-byte header + payload
    [1288]
    >>> framer.pending
    620
    >>> [len(f) for f in framer.flush()]
    [628]
"""

from __future__ import annotations

from nur_notebook.protocol.frames import AudioFrame, FrameKind, encode_frame
from nur_notebook.protocol.pcm import INPUT_RATE

#: 16 kHz mono PCM16: 32 bytes per millisecond.
BYTES_PER_MS = INPUT_RATE * 2 // 1000
#: Smallest frame sent while streaming (20 ms).
MIN_FRAME_BYTES = 20 * BYTES_PER_MS
#: Largest frame sent (40 ms).
MAX_FRAME_BYTES = 40 * BYTES_PER_MS


class InputFramer:
    """Buffers input PCM16 and emits numbered input frames of whole samples."""

    def __init__(
        self, *, min_bytes: int = MIN_FRAME_BYTES, max_bytes: int = MAX_FRAME_BYTES
    ) -> None:
        if min_bytes < 2 or min_bytes % 2 or max_bytes % 2 or max_bytes < min_bytes:
            raise ValueError("frame sizes must be even, with 2 <= min_bytes <= max_bytes")
        self._min = min_bytes
        self._max = max_bytes
        self._buffer = bytearray()
        self._seq = 0

    @property
    def pending(self) -> int:
        """Bytes buffered and not yet framed."""
        return len(self._buffer)

    def push(self, pcm: bytes | bytearray | memoryview) -> list[bytes]:
        """Add ``pcm`` and return the frames that are now complete."""
        self._buffer += pcm
        frames: list[bytes] = []
        while len(self._buffer) >= self._min:
            size = min(len(self._buffer), self._max)
            size -= size % 2
            frames.append(self._frame(size))
        return frames

    def flush(self) -> list[bytes]:
        """Frame what is buffered (a trailing half sample is dropped: it cannot be played)."""
        size = len(self._buffer) - len(self._buffer) % 2
        frames = [self._frame(size)] if size else []
        self._buffer.clear()
        return frames

    def reset(self) -> None:
        """Forget buffered audio and number frames from 0 again (a new connection)."""
        self._buffer.clear()
        self._seq = 0

    def _frame(self, size: int) -> bytes:
        payload = bytes(self._buffer[:size])
        del self._buffer[:size]
        frame = encode_frame(AudioFrame(kind=FrameKind.INPUT, pcm=payload, seq=self._seq))
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        return frame
