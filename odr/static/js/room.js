/*
 * ODR video room client (plain JavaScript, no build step, no CDN).
 *
 * Hosted by any page that contains
 *   <div id="odr-room" data-join-url="/api/v1/sessions/5/join"
 *        data-csrf-token="..." data-lang="zh"></div>
 * and loads room_view.js, then this file, with <script src>. CSP forbids inline script, so every
 * setting comes from data-* attributes:
 *   data-join-url (required), data-csrf-token, data-lang ("zh" | "en"),
 *   data-slots (receive slots, default 6), data-autojoin ("1": join without the
 *   pre-join screen, used by tests and kiosks).
 *
 * Protocol (API.md "Media signaling"): POST join-url -> {room_token,
 * signaling_url, ice_servers}; POST signaling_url {token, type: "offer", sdp}
 * -> {type: "answer", sdp, participant_id}; then JSON over the "room" data
 * channel. Remote media arrives on pre-negotiated recvonly slots; the server's
 * "tracks" message says which participant each slot (mid) carries.
 */
(function () {
  'use strict';

  // The words, the DOM helper and the rendering methods come from room_view.js (loaded first).
  var View = window.OdrRoomView, TEXT = View.TEXT, el = View.el;

  function Room(root) {
    this.root = root;
    this.joinUrl = root.getAttribute('data-join-url');
    this.csrf = root.getAttribute('data-csrf-token') || '';
    this.lang = root.getAttribute('data-lang') === 'en' ? 'en' : 'zh';
    this.t = TEXT[this.lang];
    this.slotCount = parseInt(root.getAttribute('data-slots') || '6', 10);
    this.roster = [];
    this.tracks = [];
    this.participantId = null;
    this.role = null;
    this.hearing = root.getAttribute('data-kind') === 'hearing';  // a court hearing: the judge hosts, no caucus
    this.state = 'new';           // new | joining | lobby | admitted | caucus | waiting | lost | ended | removed
    this.recording = 'idle';
    this.errors = [];
    this.stats = { video: {}, audio: {}, quality: null };
    this.remote = {};             // mid -> MediaStreamTrack
    this.local = null;            // MediaStream from the camera/mic
    this.screen = null;
    this.pc = null;
    this.channel = null;
    this.final = false;           // ended, removed or replaced: never reconnect
    this.retries = 0;             // failed attempts since the last good connection (backoff)
    this.reconnectTimer = null;
    this.countdown = null;
    this.retryAt = 0;
    this.connectedOnce = false;   // a failure before the first connection is "could not join", after it "lost"
    this.build();
  }

  /* The host's controls: the mediator in a mediation, the judge in a hearing (the server
     enforces the same rule from the token, mediation.protocol.HOST_ROLES). */
  Room.prototype.isHost = function () {
    return this.role === (this.hearing ? 'judge' : 'mediator');
  };

  /* ---------- devices ---------- */

  Room.prototype.openDevices = async function () {
    var t = this.t, self = this;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { this.setStatus(t.nodevice, 'warn'); return null; }
    var cam = this.ui.camSelect.value, mic = this.ui.micSelect.value;
    var wanted = { audio: mic ? { deviceId: { exact: mic } } : true, video: cam ? { deviceId: { exact: cam } } : true };
    var stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia(wanted);
    } catch (err) {
      if (err && (err.name === 'NotAllowedError' || err.name === 'SecurityError')) { this.setStatus(t.denied, 'error'); this.errors.push('denied'); return null; }
      try { stream = await navigator.mediaDevices.getUserMedia({ audio: wanted.audio }); } catch (err2) { stream = null; }
      if (!stream) { this.setStatus(t.nodevice, 'warn'); this.errors.push('nodevice'); return null; }
    }
    if (this.local) { this.local.getTracks().forEach(function (tr) { tr.stop(); }); }
    this.local = stream;
    this.ui.preview.srcObject = stream;
    await this.listDevices();
    if (this.pc) {  // switching devices while joined: no renegotiation
      this.pc.getTransceivers().forEach(function (tr) {
        if (tr.direction === 'sendonly' && tr.sender && !(self.screen && tr.receiver.track.kind === 'video')) {
          var kind = tr.receiver.track.kind;
          var track = stream.getTracks().filter(function (x) { return x.kind === kind; })[0] || null;
          tr.sender.replaceTrack(track);
        }
      });
    }
    return stream;
  };

  Room.prototype.listDevices = async function () {
    var devices = await navigator.mediaDevices.enumerateDevices();
    var fill = function (select, kind) {
      var current = select.value;
      select.textContent = '';
      devices.filter(function (d) { return d.kind === kind; }).forEach(function (d, i) {
        select.appendChild(el('option', { value: d.deviceId, text: d.label || (kind + ' ' + (i + 1)) }));
      });
      if (current) { select.value = current; }
    };
    fill(this.ui.camSelect, 'videoinput');
    fill(this.ui.micSelect, 'audioinput');
  };

  Room.prototype.localTrack = function (kind) {
    if (!this.local) { return null; }
    return this.local.getTracks().filter(function (x) { return x.kind === kind; })[0] || null;
  };

  Room.prototype.toggle = function (kind) {
    var track = this.localTrack(kind);
    if (!track) { return; }
    track.enabled = !track.enabled;
    if (kind === 'audio') { this.ui.muteBtn.textContent = track.enabled ? this.t.mute : this.t.unmute; }
    else { this.ui.camBtn.textContent = track.enabled ? this.t.camOff : this.t.camOn; }
  };

  Room.prototype.videoSender = function () {
    var tr = this.pc && this.pc.getTransceivers().filter(function (x) { return x.direction === 'sendonly' && x.receiver.track.kind === 'video'; })[0];
    return tr ? tr.sender : null;
  };

  Room.prototype.toggleShare = async function () {
    var self = this, sender = this.videoSender();
    if (!sender) { return; }
    if (this.screen) {
      this.screen.getTracks().forEach(function (x) { x.stop(); });
      this.screen = null;
      await sender.replaceTrack(this.localTrack('video'));
      this.ui.shareBtn.textContent = this.t.share;
      return;
    }
    try { this.screen = await navigator.mediaDevices.getDisplayMedia({ video: true }); } catch (err) { return; }
    var track = this.screen.getVideoTracks()[0];
    if ('contentHint' in track) { track.contentHint = 'detail'; }  // keep text sharp: lower the frame rate, not the resolution
    track.addEventListener('ended', function () { if (self.screen) { self.toggleShare(); } });
    await sender.replaceTrack(track);
    this.ui.shareBtn.textContent = this.t.stopShare;
  };

  /* ---------- joining and signaling ---------- */

  Room.prototype.join = async function () {
    var t = this.t, again = this.state === 'lost' && this.connectedOnce;
    if (this.final) { return; }
    this.state = again ? 'lost' : 'joining';  // a reconnect stays "lost" until the server's roster says where we are
    this.setStatus(again ? t.lost : t.joining, again ? 'warn' : '');
    this.ui.prejoin.hidden = true;
    if (!this.local) { await this.openDevices(); }
    try {
      var resp = await fetch(this.joinUrl, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRFToken': this.csrf, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: '{}'
      });
      var join = await resp.json();
      if (!resp.ok) { throw new Error((join.error && join.error.message) || resp.status); }
      await this.connect(join);  // retries are reset only once the connection is up (onConnectionState)
    } catch (err) {
      var detail = String(err && err.message || err);
      this.errors.push(detail);
      if (!this.final) { this.scheduleReconnect(detail); }
    }
  };

  Room.prototype.connect = async function (join) {
    var self = this;
    var pc = new RTCPeerConnection({ iceServers: join.ice_servers || [], bundlePolicy: 'max-bundle' });
    this.pc = pc;
    var stream = this.local || new MediaStream();
    ['audio', 'video'].forEach(function (kind) {
      var track = kind === 'video' && self.screen ? self.screen.getVideoTracks()[0] : self.localTrack(kind);
      pc.addTransceiver(track || kind, { direction: 'sendonly', streams: [stream] });
    });
    for (var i = 0; i < this.slotCount; i++) {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    var channel = pc.createDataChannel('room');
    this.channel = channel;
    channel.addEventListener('message', function (ev) { self.onMessage(ev.data); });
    // The server closed our connection (restart, or it dropped a dead peer): come back at once.
    channel.addEventListener('close', function () { if (self.channel === channel && !self.final) { self.scheduleReconnect(); } });
    pc.addEventListener('track', function (ev) { self.remote[ev.transceiver.mid] = ev.track; self.renderTiles(); });
    pc.addEventListener('connectionstatechange', function () { self.onConnectionState(pc); });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise(function (resolve) {  // a complete offer: no trickled candidates
      if (pc.iceGatheringState === 'complete') { return resolve(); }
      var done = function () { if (pc.iceGatheringState === 'complete') { pc.removeEventListener('icegatheringstatechange', done); resolve(); } };
      pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 5000);
    });
    var resp = await fetch(join.signaling_url, {
      method: 'POST', mode: 'cors', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: join.room_token, type: 'offer', sdp: pc.localDescription.sdp })
    });
    var answer = await resp.json();
    if (!resp.ok) {
      pc.close();
      if (resp.status === 409 || resp.status === 403) { this.finish(resp.status === 409 ? 'ended' : 'removed'); }
      throw new Error((answer.error && answer.error.message) || resp.status);
    }
    this.participantId = answer.participant_id;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    this.startStats();
  };

  Room.prototype.onConnectionState = function (pc) {
    var self = this;
    if (pc !== this.pc || this.final) { return; }
    if (pc.connectionState === 'connected') { this.retries = 0; this.connectedOnce = true; this.renderState(); }
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') { this.scheduleReconnect(); }
    if (pc.connectionState === 'disconnected') {
      // Say so at once; ICE may still recover by itself, so rejoin only if it has not within 5 s.
      this.state = 'lost';
      this.setStatus(this.t.lost, 'warn');
      setTimeout(function () { if (self.pc === pc && pc.connectionState === 'disconnected') { self.scheduleReconnect(); } }, 5000);
    }
  };

  /* Close what is left of the connection and join again after a backoff delay (1, 2, 4 … 15 s,
     with jitter so that every client of a restarted media server does not return in the same
     instant). The page counts down to the next attempt; ``detail`` is shown only while the
     first join has never succeeded ("Could not join the session: …"). */
  Room.prototype.scheduleReconnect = function (detail) {
    var self = this;
    if (this.final || this.reconnectTimer) { return; }
    this.state = 'lost';
    this.teardown();
    var base = Math.min(1000 * Math.pow(2, this.retries++), 15000);
    var delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.retryAt = Date.now() + delay;
    var prefix = !this.connectedOnce && detail ? this.t.joinFailed + detail + ' ' : '';
    var text = this.connectedOnce ? this.t.retryIn : this.t.retryJoin;
    var show = function () {
      var left = Math.max(1, Math.ceil((self.retryAt - Date.now()) / 1000));
      self.setStatus(prefix + text.replace('{n}', left), 'warn');
    };
    show();
    this.countdown = setInterval(show, 1000);
    this.reconnectTimer = setTimeout(function () { self.retryNow(); }, delay);
  };

  /* The waiting is over (timer, or the browser reports it is online again): try now. */
  Room.prototype.retryNow = function () {
    if (!this.reconnectTimer) { return; }
    clearTimeout(this.reconnectTimer);
    clearInterval(this.countdown);
    this.reconnectTimer = null;
    this.countdown = null;
    if (!this.final) { this.join(); }
  };

  Room.prototype.teardown = function () {
    if (this.statsTimer) { clearInterval(this.statsTimer); this.statsTimer = null; }
    var pc = this.pc;
    this.pc = null;       // first, so the events closing fires are ignored
    this.channel = null;
    if (pc) { try { pc.close(); } catch (e) { /* already closed */ } }
    this.remote = {};
    this.tracks = [];
    this.roster = [];     // who is in the room and whether it records is the server's to say again
    this.recording = 'idle';
    this.renderTiles();
    this.renderRoster();
  };

  Room.prototype.finish = function (kind) {
    this.final = true;
    this.state = kind;
    if (this.reconnectTimer) { clearTimeout(this.reconnectTimer); clearInterval(this.countdown); this.reconnectTimer = null; }
    this.teardown();
    this.setStatus(kind === 'removed' ? this.t.removed : kind === 'replaced' ? this.t.replaced : this.t.ended, 'final');
  };

  Room.prototype.send = function (message) {
    if (this.channel && this.channel.readyState === 'open') { this.channel.send(JSON.stringify(message)); }
  };

  Room.prototype.onMessage = function (raw) {
    var msg;
    try { msg = JSON.parse(raw); } catch (e) { return; }
    switch (msg.type) {
      case 'welcome': this.participantId = msg.participant_id; this.role = msg.role; this.ui.mediator.hidden = !this.isHost(); break;
      case 'roster': this.roster = msg.participants; this.renderRoster(); break;
      case 'tracks': this.tracks = msg.tracks; this.renderTiles(); break;
      case 'recording': this.recording = msg.state; this.renderRecording(); break;
      case 'ended': this.finish('ended'); break;
      case 'removed': this.finish('removed'); break;
      case 'replaced': this.finish('replaced'); break;  // the same person joined from another window
      case 'error': this.errors.push(msg.code); this.setStatus(this.t.error + ': ' + msg.message, 'error'); break;
      default: break;
    }
  };
  /* ---------- statistics and quality ---------- */

  Room.prototype.startStats = function () {
    var self = this;
    if (this.statsTimer) { clearInterval(this.statsTimer); }
    this.statsTimer = setInterval(function () { self.collectStats(); }, 2000);
  };

  Room.prototype.collectStats = async function () {
    if (!this.pc) { return null; }
    var report = await this.pc.getStats(), out = { video: {}, audio: {}, quality: null }, lost = 0, got = 0, rtt = null;
    var owners = {};
    this.tracks.forEach(function (e) { owners[e.mid] = e.participant_id; });
    report.forEach(function (s) {
      if (s.type === 'inbound-rtp' && (s.kind === 'video' || s.kind === 'audio')) {
        var key = owners[s.mid] || s.mid || s.id;
        out[s.kind][key] = { mid: s.mid, bytesReceived: s.bytesReceived || 0, packetsReceived: s.packetsReceived || 0,
          packetsLost: s.packetsLost || 0, framesDecoded: s.framesDecoded || 0, framesPerSecond: s.framesPerSecond || 0,
          frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0 };
        lost += s.packetsLost || 0; got += s.packetsReceived || 0;
      }
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) { rtt = s.currentRoundTripTime; }
    });
    var lossRate = got ? lost / (lost + got) : 0;
    out.quality = lossRate > 0.08 || (rtt !== null && rtt > 0.6) ? 'poor' : lossRate > 0.02 || (rtt !== null && rtt > 0.3) ? 'fair' : 'good';
    out.rtt = rtt;
    this.stats = out;
    this.ui.quality.textContent = this.t.quality + ': ' + this.t[out.quality];
    this.ui.quality.className = 'odr-quality odr-quality-' + out.quality;
    return out;
  };

  Object.keys(View.methods).forEach(function (name) { Room.prototype[name] = View.methods[name]; });

  function start() {
    var root = document.getElementById('odr-room');
    if (!root || root.getAttribute('data-started')) { return; }
    root.setAttribute('data-started', '1');
    var room = new Room(root);
    window.OdrRoom = room;
    window.addEventListener('online', function () { room.retryNow(); });  // the network is back: do not wait out the backoff
    if (root.getAttribute('data-autojoin') === '1') { room.join(); } else { room.openDevices(); }
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
}());
