"""say_node in its own process over loopback DDS, speaking through the real espeak-ng into WAV files
(this machine has no audio device, which is also what the refused start is tested against)."""

from __future__ import annotations

import wave

import pytest
import rclpy
from std_msgs.msg import String
from std_srvs.srv import Trigger

from lerobot_ros.nodes.spin_thread import spin_in_thread
from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]


def test_say_node_writes_each_text_to_a_wav_and_stop_interrupts(ros, tmp_path):
    wav_dir = tmp_path / "speech"
    node = NodeProcess("lerobot_ros.nodes.say_node", "say_node",
                       {"output": "wav", "wav_dir": str(wav_dir), "interrupt_on_new": False}, tmp_path)
    client = rclpy.create_node("say_test")
    done: list[str] = []
    client.create_subscription(String, "say/done", lambda m: done.append(m.data), 10)
    say = client.create_publisher(String, "say", 10)
    stop = client.create_client(Trigger, "say_node/stop")
    spinning = spin_in_thread(client)
    try:
        assert wait_for(lambda: "speaking say" in node.log(), 30), node.log()
        assert wait_for(lambda: say.get_subscription_count() > 0, 10)
        say.publish(String(data="Okay, I will put the cube in the bowl."))
        assert wait_for(lambda: done == ["Okay, I will put the cube in the bowl."], 20), node.log()
        (wav,) = wav_dir.glob("say-*.wav")
        with wave.open(str(wav)) as w:
            assert w.getnframes() / w.getframerate() > 1.0
        say.publish(String(data="The quick brown fox jumps over the lazy dog. " * 2000))
        say.publish(String(data="never said"))
        assert stop.wait_for_service(10)
        assert wait_for(lambda: "say-0001" in " ".join(p.name for p in wav_dir.iterdir()), 10)
        response = stop.call(Trigger.Request(), timeout_sec=10)
        assert response.success and response.message.startswith("stopped; 2 text(s)"), response.message
        say.publish(String(data="Done."))
        assert wait_for(lambda: done[-1:] == ["Done."], 20), node.log()
        assert len(done) == 2  # the long text and "never said" were cut
        assert sorted(p.name for p in wav_dir.glob("say-*.wav")) == [wav.name, "say-0003-done.wav"]
    finally:
        assert spinning.stop()
        client.destroy_node()
        assert node.stop() == 0, node.log()


def test_say_node_without_an_audio_device_exits_with_the_way_out(tmp_path, monkeypatch):
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no sound server socket there
    node = NodeProcess("lerobot_ros.nodes.say_node", "say_node", {"output": "audio"}, tmp_path)
    assert node.proc.wait(30) == 1
    assert "no audio device" in node.log() and "output:=wav" in node.log()
