"""say_node: speaks the policy's ``say`` texts with espeak-ng (docs/policy.md, "Speech").

Subscribes to ``say`` (std_msgs/String); serves ``~/stop`` (std_srvs/Trigger: interrupt and drop
the queue); publishes ``say/done`` (the text, once spoken or written in full) and /diagnostics.
``output:=wav`` writes WAV files only and needs no audio device; ``audio`` refuses to start without
one, naming what it looked for; ``auto`` uses the device when there is one, else writes WAV files. The speaking itself is :mod:`lerobot_ros.speech.espeak`.
"""

from __future__ import annotations

import threading

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from std_msgs.msg import String
from std_srvs.srv import Trigger

from ..speech.audio_device import NoAudioDeviceError
from ..speech.espeak import Speaker, SpeechConfig, SpeechError, Utterance
from .parameters import declare
from .runner import run_node
from ..node_params.say_node import PARAMS


class SayNode(Node):
    def __init__(self, **kwargs):
        super().__init__("say_node", **kwargs)
        self.p = p = declare(self, PARAMS)
        self.done_pub = self.create_publisher(String, f"{p['topic']}/done", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.errors = 0
        self.last_error = ""
        self.speaker = Speaker(SpeechConfig(output=p["output"], wav_dir=p["wav_dir"], voice=p["voice"],
                                            words_per_minute=p["words_per_minute"], amplitude=p["amplitude"],
                                            interrupt_on_new=p["interrupt_on_new"]), on_done=self._on_done)
        self.create_subscription(String, p["topic"], self._on_say, 10)
        self.create_service(Trigger, "~/stop", self._on_stop)
        self.create_timer(1.0 / p["diagnostics_rate_hz"], self._publish_diagnostics)
        self.finished = threading.Event()
        where = self.speaker.audio_output or "no audio device"
        if self.speaker.fallback:
            self.get_logger().warning(f"output auto: {self.speaker.fallback}; writing WAV files only")
        if self.speaker.output != "audio":
            where += f"; WAV files in {p['wav_dir']}"
        self.get_logger().info(f"speaking {p['topic']} with espeak-ng voice {p['voice']} ({where})")

    def start(self) -> None:
        pass  # the speaker's thread started with it

    def _on_say(self, msg: String) -> None:
        try:
            self.speaker.say(msg.data)
        except ValueError as err:
            self.get_logger().warning(f"{self.p['topic']}: {err}")

    def _on_done(self, utterance: Utterance) -> None:
        if utterance.error:
            self.errors += 1
            self.last_error = utterance.error
            self.get_logger().error(utterance.error)
        elif utterance.completed:
            self.get_logger().info(f"said: {utterance.text}" + (f" ({utterance.wav})" if utterance.wav else ""))
            self.done_pub.publish(String(data=utterance.text))

    def _on_stop(self, request, response: Trigger.Response) -> Trigger.Response:
        response.success = True
        response.message = f"stopped; {self.speaker.stop()} text(s) interrupted or dropped"
        return response

    def _publish_diagnostics(self) -> None:
        status = DiagnosticStatus(name=f"{self.get_name()}: speech", hardware_id=self.speaker.audio_output or "wav")
        status.level = DiagnosticStatus.WARN if self.errors else DiagnosticStatus.OK
        status.message = f"espeak-ng failed: {self.last_error}" if self.errors else "ok"
        status.values = [KeyValue(key=k, value=str(v)) for k, v in (
            ("completed", self.speaker.completed), ("interrupted", self.speaker.interrupted), ("errors", self.errors))]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)

    def shutdown(self) -> None:
        self.speaker.close()


def main(args=None) -> None:
    run_node(SayNode, "say_node", (ValueError, SpeechError, NoAudioDeviceError), args)


if __name__ == "__main__":
    main()
