"""Issue 18 item 8: native libraries' chatter on stderr is silenced where it comes from, and stderr
works as before afterwards (libmpg123 seeking in an MP3, TFLite creating its XNNPACK delegate)."""
import os
import threading

import numpy as np
import soundfile as sf

from codecprobe.audio import read_audio
from codecprobe.quiet import native_stderr_silenced


def test_native_writes_to_descriptor_2_are_dropped_and_stderr_comes_back(capfd):
    with native_stderr_silenced():
        os.write(2, b"native chatter\n")
        with native_stderr_silenced():  # nested
            os.write(2, b"more chatter\n")
        os.write(2, b"still inside\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_threads_entering_and_leaving_in_any_order_leave_stderr_working(capfd):
    inside = threading.Barrier(4)

    def chatter():
        with native_stderr_silenced():
            inside.wait()
            os.write(2, b"x\n")

    threads = [threading.Thread(target=chatter) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_mp3_segments_read_without_libmpg123_errors_and_exactly(shared_data, capfd):
    path = shared_data / "gecko-2spk" / "demo.mp3"
    whole = sf.read(path, dtype="float32", frames=16000 * 300)[0]
    capfd.readouterr()
    for start in (37.0077, 123.5, 250.0):
        segment, rate = read_audio(path, start=start, end=start + 2.0)
        first = round(start * rate)
        np.testing.assert_allclose(segment, whole[first : first + len(segment)], rtol=0, atol=1e-6)
    assert capfd.readouterr().err == ""


def test_lyra_creates_its_interpreters_without_tflite_info_lines(lyra_weights, capfd):
    from codecprobe.encoders import BuildOptions, build_encoder

    encoder = build_encoder("lyra", BuildOptions(weights=str(lyra_weights)))
    encoder.encode_batch([np.zeros(3200, np.float32)], ["latent"])
    assert "XNNPACK" not in capfd.readouterr().err
