"""Fallback: a subscriber that cannot receive VP8 gets the publishers' video re-encoded.

Only that subscriber's slots decode and re-encode; everyone else keeps getting
the publishers' own VP8 frames untouched.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.mediation.helpers import Client, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]


def test_h264_only_subscriber_gets_transcoded_video_others_pass_through(tmp_path):
    async def scenario() -> None:
        async with running_server(tmp_path) as server:
            mediator = Client(server, token(1, role="mediator"), luma=40, browser_like=True)
            applicant = Client(server, token(2, side="applicant"), luma=120, browser_like=True)
            # Publishes VP8 like everyone, but its receive slots accept H.264 only.
            respondent = Client(server, token(3, side="respondent"), luma=200, browser_like=True,
                                receive_video="video/H264")
            everyone = (mediator, applicant, respondent)
            for client in everyone:
                await client.join()
            for client in everyone:
                await client.wait_open()
            m_id, a_id, r_id = (c.participant_id for c in everyone)
            await wait_for(lambda: mediator.state_of(r_id) == "lobby")
            for pid in (a_id, r_id):
                mediator.send({"type": "admit", "participant_id": pid})
            await wait_for(lambda: all(c.video_frames.get(o.participant_id, 0) > 10
                                       for c in everyone for o in everyone if o is not c),
                           timeout=30)

            # The H.264 subscriber decodes steady video from both publishers, right picture.
            # (Progress rather than a rate: transcoding is the heaviest thing here, and the
            # shared test machine is busy.)
            for sender, luma in ((m_id, 40), (a_id, 120)):
                video, audio = respondent.video_frames[sender], respondent.audio_frames[sender]
                await wait_for(lambda s=sender, v=video, a=audio: respondent.video_frames[s] > v + 10
                               and respondent.audio_frames[s] > a, timeout=20)
                assert abs(respondent.lumas[sender] - luma) < 15, (sender, respondent.lumas)
            assert abs(mediator.lumas[r_id] - 200) < 15 and abs(applicant.lumas[m_id] - 40) < 15

            room = next(iter(server.rooms().rooms.values()))

            def video_slot(subscriber: str, publisher: str):
                pair = room.participants[subscriber].slot_for(publisher, assign=False)
                assert pair is not None and pair.video is not None, (subscriber, publisher)
                return pair.video

            for slot in (video_slot(r_id, m_id), video_slot(r_id, a_id)):
                assert slot.out_mime == "video/h264" and slot.transcoding
                assert slot._decoder is not None and slot.frames_out > 10
            # Every other subscriber, of the same publishers too, stays on pass-through.
            for sub, pub in ((m_id, a_id), (m_id, r_id), (a_id, m_id), (a_id, r_id)):
                slot = video_slot(sub, pub)
                assert slot.out_mime == "video/vp8" and not slot.transcoding, (sub, pub)
                assert slot._decoder is None and slot.frames_out > 10, (sub, pub)
            # Every publisher, the respondent too, is read as encoded frames (pass-through).
            for participant in room.participants.values():
                assert participant.publishers["video"].frames_in > 10

            # A PLI from the H.264 subscriber is answered by the server's own encoder (the
            # publisher's next keyframe would not reach a decoder behind ours): a fresh
            # H.264 key frame arrives.
            receiver = respondent.video_receiver(m_id)
            ssrc = receiver.getSynchronizationSources()[0].source
            slot = video_slot(r_id, m_id)
            await asyncio.sleep(1.0)
            keys, asked, encoder = (respondent.key_frames[m_id], slot.keyframe_requests,
                                    slot.encoder_keyframes)
            await receiver._send_rtcp_pli(ssrc)
            await wait_for(lambda: slot.keyframe_requests > asked, timeout=10)
            assert slot.encoder_keyframes > encoder
            await wait_for(lambda: respondent.key_frames[m_id] > keys, timeout=10)
            # Pass-through slots never hand a PLI to their (unused) encoder.
            assert all(video_slot(sub, pub).encoder_keyframes == 0
                       for sub, pub in ((m_id, a_id), (m_id, r_id), (a_id, m_id), (a_id, r_id)))
            for client in everyone:
                await client.close()

    asyncio.run(scenario())
