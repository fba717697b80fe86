/*
 * ODR video room client: the words and the page (plain JavaScript, no build step).
 *
 * Loaded before room.js, which owns the connection and mixes these methods into its
 * Room: building the pre-join check, controls and consent prompt, and rendering the
 * status line, roster, video tiles and recording indicator from the server's messages.
 * Every method reads the room's state (this.roster, this.tracks, this.recording …)
 * and never talks to the server except through this.send().
 */
(function () {
  'use strict';

  var TEXT = {
    en: {
      camera: 'Camera', microphone: 'Microphone', join: 'Join the session', preview: 'Preview',
      joining: 'Connecting…', lobby: 'Please wait: the mediator will let you in shortly.',
      lobbyHearing: 'Please wait: the judge will let you in shortly.',
      waiting: 'The mediator is in a private session (caucus) with other participants. Please wait.',
      caucus: 'Private session (caucus) with the mediator.',
      lost: 'Connection lost, reconnecting…', ended: 'The session has ended.',
      retryIn: 'Connection lost. Trying again in {n} s…', retryJoin: 'Trying again in {n} s…',
      replaced: 'You joined this session from another window; this one is closed.',
      removed: 'The mediator removed you from the session.',
      denied: 'Camera or microphone access was denied. Allow it in the browser settings and reload, or join without them.',
      nodevice: 'No camera or microphone was found. You can still join and listen.',
      mute: 'Mute', unmute: 'Unmute', camOff: 'Camera off', camOn: 'Camera on',
      share: 'Share screen', stopShare: 'Stop sharing', participants: 'Participants',
      admit: 'Admit', toLobby: 'To lobby', remove: 'Remove', caucusWith: 'Caucus with selected',
      endCaucus: 'End caucus', recStart: 'Start recording', recStop: 'Stop recording',
      endRoom: 'End session', recording: 'Recording', recPaused: 'Recording paused (caucus)',
      consentAsk: 'The mediator would like to record this session. Do you agree?',
      consentYes: 'I agree', consentNo: 'I do not agree', quality: 'Connection',
      consentWithdraw: 'Withdraw my consent to recording',
      good: 'good', fair: 'fair', poor: 'poor', you: '(you)', error: 'Error',
      states: { lobby: 'in lobby', admitted: 'in session', caucus: 'in caucus', waiting: 'waiting' },
      roles: { mediator: 'mediator', party: 'party', agent: 'agent', judge: 'judge', clerk: 'clerk' },
      joinFailed: 'Could not join the session: '
    },
    zh: {
      camera: '摄像头', microphone: '麦克风', join: '进入调解', preview: '预览',
      joining: '正在连接…', lobby: '请稍候，调解员将很快允许您进入。',
      lobbyHearing: '请稍候，法官将很快允许您进入。',
      waiting: '调解员正在与其他参与人进行背对背调解，请稍候。',
      caucus: '您正在与调解员进行背对背调解。',
      lost: '连接中断，正在重新连接…', ended: '本次调解已结束。',
      retryIn: '连接中断，{n} 秒后重新连接…', retryJoin: '{n} 秒后重试…',
      replaced: '您已在另一个窗口进入本次调解，此窗口已关闭。',
      removed: '调解员已将您移出本次调解。',
      denied: '摄像头或麦克风权限被拒绝。请在浏览器设置中允许后刷新页面，或不使用设备进入。',
      nodevice: '未找到摄像头或麦克风。您仍可进入并收听。',
      mute: '静音', unmute: '取消静音', camOff: '关闭摄像头', camOn: '打开摄像头',
      share: '共享屏幕', stopShare: '停止共享', participants: '参与人',
      admit: '允许进入', toLobby: '移回等候室', remove: '移出', caucusWith: '与所选人员背对背调解',
      endCaucus: '结束背对背调解', recStart: '开始录制', recStop: '停止录制',
      endRoom: '结束调解', recording: '正在录制', recPaused: '录制已暂停（背对背调解）',
      consentAsk: '调解员希望对本次调解进行录音录像，您是否同意？',
      consentYes: '同意', consentNo: '不同意', quality: '连接质量',
      consentWithdraw: '撤回录制同意',
      good: '良好', fair: '一般', poor: '较差', you: '（我）', error: '错误',
      states: { lobby: '等候中', admitted: '调解中', caucus: '背对背调解中', waiting: '等待中' },
      roles: { mediator: '调解员', party: '当事人', agent: '代理人', judge: '法官', clerk: '书记员' },
      joinFailed: '无法进入调解：'
    }
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') { node.textContent = attrs[key]; } else if (key === 'class') { node.className = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  var view = {};

  view.build = function () {
    var t = this.t;
    this.ui = {
      status: el('div', { id: 'odr-room-status', class: 'odr-status', role: 'status', 'aria-live': 'polite' }),
      recIndicator: el('div', { id: 'odr-recording-indicator', class: 'odr-recording', hidden: '' }),
      quality: el('div', { id: 'odr-quality', class: 'odr-quality' }),
      camSelect: el('select', { id: 'odr-camera-select' }),
      micSelect: el('select', { id: 'odr-mic-select' }),
      preview: el('video', { id: 'odr-preview', class: 'odr-preview', autoplay: '', muted: '', playsinline: '' }),
      joinBtn: el('button', { id: 'odr-join', type: 'button', text: t.join }),
      tiles: el('div', { id: 'odr-tiles', class: 'odr-tiles' }),
      roster: el('ul', { id: 'odr-roster', class: 'odr-roster' }),
      controls: el('div', { id: 'odr-controls', class: 'odr-controls' }),
      mediator: el('div', { id: 'odr-mediator-controls', class: 'odr-mediator-controls', hidden: '' }),
      consent: el('div', { id: 'odr-consent', class: 'odr-consent', hidden: '' })
    };
    this.ui.preview.muted = true;
    var prejoin = el('div', { id: 'odr-prejoin', class: 'odr-prejoin' }, [
      el('label', { text: t.camera }, [this.ui.camSelect]),
      el('label', { text: t.microphone }, [this.ui.micSelect]),
      el('div', { class: 'odr-preview-wrap', 'aria-label': t.preview }, [this.ui.preview]),
      this.ui.joinBtn
    ]);
    this.ui.prejoin = prejoin;
    this.root.appendChild(el('div', { class: 'odr-room' }, [
      this.ui.status, this.ui.recIndicator, this.ui.quality, prejoin, this.ui.consent,
      this.ui.tiles, this.ui.controls,
      el('section', { class: 'odr-side' }, [el('h3', { text: t.participants }), this.ui.roster, this.ui.mediator])
    ]));
    var self = this;
    this.ui.joinBtn.addEventListener('click', function () { self.join(); });
    this.ui.camSelect.addEventListener('change', function () { self.openDevices(); });
    this.ui.micSelect.addEventListener('change', function () { self.openDevices(); });
    this.buildControls();
    this.buildConsent();
  };

  view.button = function (id, label, onClick, parent) {
    var b = el('button', { id: id, type: 'button', text: label });
    b.addEventListener('click', onClick);
    (parent || this.ui.controls).appendChild(b);
    return b;
  };

  view.buildControls = function () {
    var self = this, t = this.t;
    this.ui.muteBtn = this.button('odr-mute', t.mute, function () { self.toggle('audio'); });
    this.ui.camBtn = this.button('odr-camera', t.camOff, function () { self.toggle('video'); });
    this.ui.shareBtn = this.button('odr-share', t.share, function () { self.toggleShare(); });
    var m = this.ui.mediator;
    if (!this.hearing) this.button('odr-caucus', t.caucusWith, function () {
      var ids = Array.prototype.map.call(m.ownerDocument.querySelectorAll('.odr-caucus-pick:checked'), function (c) { return c.value; });
      self.send({ type: 'caucus', participant_ids: ids });
    }, m);
    if (!this.hearing) this.button('odr-caucus-end', t.endCaucus, function () { self.send({ type: 'caucus_end' }); }, m);
    this.ui.recBtn = this.button('odr-record', t.recStart, function () {
      self.send({ type: self.recording === 'idle' ? 'record_start' : 'record_stop' });
    }, m);
    this.button('odr-end', t.endRoom, function () { self.send({ type: 'end' }); }, m);
  };

  view.buildConsent = function () {
    var self = this, t = this.t;
    this.ui.consent.appendChild(el('p', { text: t.consentAsk }));
    this.button('odr-consent-yes', t.consentYes, function () { self.send({ type: 'recording_consent', consent: true }); }, this.ui.consent);
    this.button('odr-consent-no', t.consentNo, function () { self.send({ type: 'recording_consent', consent: false }); }, this.ui.consent);
    // Consent given can be taken back at any time; the server stops a running recording at once.
    this.ui.withdraw = el('div', { id: 'odr-consent-withdraw-box', class: 'odr-consent', hidden: '' });
    this.ui.consent.parentNode.insertBefore(this.ui.withdraw, this.ui.consent.nextSibling);
    this.button('odr-consent-withdraw', t.consentWithdraw, function () { self.send({ type: 'recording_consent', consent: false }); }, this.ui.withdraw);
  };

  view.setStatus = function (text, kind) {
    this.ui.status.textContent = text || '';
    this.ui.status.className = 'odr-status' + (kind ? ' odr-status-' + kind : '');
  };

  /* ---------- rendering ---------- */

  view.me = function () {
    var id = this.participantId;
    return this.roster.filter(function (p) { return p.participant_id === id; })[0] || null;
  };

  view.renderState = function () {
    var me = this.me(), t = this.t;
    if (!me || this.final) { return; }
    this.state = me.state;
    var notes = { lobby: this.hearing ? t.lobbyHearing : t.lobby, waiting: t.waiting, caucus: t.caucus, admitted: '' };
    this.setStatus(notes[me.state] || '', me.state === 'admitted' ? '' : 'info');
  };

  view.renderRoster = function () {
    var self = this, t = this.t, list = this.ui.roster, isMediator = this.isHost();
    list.textContent = '';
    this.roster.forEach(function (p) {
      var mine = p.participant_id === self.participantId;
      var item = el('li', { class: 'odr-participant odr-state-' + p.state, 'data-participant-id': p.participant_id }, [
        el('span', { class: 'odr-name', text: p.display_name + (mine ? ' ' + t.you : '') }),
        el('span', { class: 'odr-role', text: t.roles[p.role] || p.role }),
        el('span', { class: 'odr-state', text: t.states[p.state] || p.state })
      ]);
      if (isMediator && !mine && p.role !== 'mediator' && !(self.hearing && p.role === 'judge')) {
        var act = function (type, label) { self.button('odr-' + type + '-' + p.participant_id, label, function () { self.send({ type: type, participant_id: p.participant_id }); }, item); };
        if (p.state === 'lobby') { act('admit', t.admit); } else {
          act('to_lobby', t.toLobby);
          if (!self.hearing) { item.appendChild(el('input', { type: 'checkbox', class: 'odr-caucus-pick', value: p.participant_id, 'aria-label': t.caucusWith })); }
        }
        act('remove', t.remove);
      }
      list.appendChild(item);
    });
    this.renderState();
    this.renderRecording();
  };

  view.renderTiles = function () {
    var self = this, box = this.ui.tiles, byPerson = {};
    this.tracks.forEach(function (entry) {
      (byPerson[entry.participant_id] = byPerson[entry.participant_id] || []).push(entry);
    });
    Array.prototype.forEach.call(box.querySelectorAll('.odr-tile'), function (tile) {
      if (!byPerson[tile.getAttribute('data-participant-id')]) { box.removeChild(tile); }
    });
    Object.keys(byPerson).forEach(function (pid) {
      var tile = box.querySelector('.odr-tile[data-participant-id="' + pid + '"]');
      if (!tile) {
        tile = el('figure', { class: 'odr-tile', 'data-participant-id': pid }, [
          el('video', { autoplay: '', playsinline: '' }), el('audio', { autoplay: '' }), el('figcaption')
        ]);
        box.appendChild(tile);
      }
      var person = self.roster.filter(function (p) { return p.participant_id === pid; })[0];
      tile.querySelector('figcaption').textContent = person ? person.display_name : '';
      var active = byPerson[pid].some(function (e) { return e.active; });
      tile.hidden = !active;
      byPerson[pid].forEach(function (entry) {
        var track = self.remote[entry.mid], media = tile.querySelector(entry.kind);
        if (track && (!media.srcObject || media.srcObject.getTracks()[0] !== track)) { media.srcObject = new MediaStream([track]); }
      });
    });
  };

  view.renderRecording = function () {
    var t = this.t, ind = this.ui.recIndicator, me = this.me();
    ind.hidden = this.recording === 'idle';
    ind.textContent = this.recording === 'paused' ? t.recPaused : t.recording;
    ind.className = 'odr-recording odr-recording-' + this.recording;
    this.ui.recBtn.textContent = this.recording === 'idle' ? t.recStart : t.recStop;
    this.ui.consent.hidden = !me || me.recording_consent === true || this.final;
    this.ui.withdraw.hidden = !me || me.recording_consent !== true || this.final;
  };

  window.OdrRoomView = { TEXT: TEXT, el: el, methods: view };
}());
