// The meeting's settings dialog: which microphone, camera and speaker to use, switched
// while in the meeting without leaving it.

import { h } from './dom.js';
import { Sound } from './sound.js';

export class Settings {
  /**
   * devices is the meeting's Devices (switchDevice, deviceId, mayPublish); sound its
   * Sound (setSpeaker); toast(text) tells the user.
   */
  constructor({ devices, sound, toast }) {
    this.devices = devices;
    this.sound = sound;
    this.toast = toast;
    this.dialog = null;
  }

  build() {
    const sel = (id) => h('select', { id, name: id });
    this.mic = sel('settings-microphone');
    this.cam = sel('settings-camera');
    this.spk = sel('settings-speaker');
    this.micRow = h('div', {}, h('label', { for: 'settings-microphone', text: 'Microphone' }), this.mic);
    this.camRow = h('div', {}, h('label', { for: 'settings-camera', text: 'Camera' }), this.cam);
    this.spkRow = h('div', {}, h('label', { for: 'settings-speaker', text: 'Speaker' }), this.spk);
    this.status = h('p', { id: 'settings-status', class: 'hint', role: 'status' });
    const close = h('button', { id: 'settings-close', type: 'button', class: 'primary', text: 'Done' });
    this.dialog = h('dialog', { id: 'settings-dialog', class: 'confirm settings', 'aria-labelledby': 'settings-title' },
      h('h2', { id: 'settings-title', text: 'Settings' }),
      this.micRow, this.camRow, this.spkRow, this.status,
      h('p', { class: 'notice-actions' }, close));
    close.addEventListener('click', () => this.dialog.close());
    this.mic.addEventListener('change', () => this.pick('microphone', this.mic));
    this.cam.addEventListener('change', () => this.pick('camera', this.cam));
    this.spk.addEventListener('change', async () => {
      try {
        await this.sound.setSpeaker(this.spk.value);
        this.status.textContent = 'Speaker changed.';
      } catch {
        this.toast('That speaker could not be used.');
      }
    });
    document.body.append(this.dialog);
  }

  async pick(source, select) {
    select.disabled = true;
    const ok = await this.devices.switchDevice(source, select.value);
    select.disabled = false;
    if (ok) this.status.textContent = source === 'microphone' ? 'Microphone changed.' : 'Camera changed.';
    await this.fill();
  }

  /** open shows the dialog with the devices there are now. */
  async open() {
    if (!this.dialog) this.build();
    this.status.textContent = '';
    await this.fill();
    this.dialog.showModal();
    const first = this.dialog.querySelector('select:not([disabled])') || this.dialog.querySelector('#settings-close');
    first.focus();
  }

  async fill() {
    let list = [];
    try {
      list = await navigator.mediaDevices.enumerateDevices();
    } catch { /* none listed */ }
    const put = (select, row, kind, word, current, allowed) => {
      const devs = list.filter((d) => d.kind === kind && d.deviceId);
      row.hidden = !allowed;
      select.replaceChildren(...devs.map((d, i) => h('option', { value: d.deviceId, text: d.label || `${word} ${i + 1}`, selected: d.deviceId === current })));
      if (!devs.length) select.append(h('option', { value: '', text: `No ${word.toLowerCase()} found` }));
      select.disabled = !devs.length;
    };
    put(this.mic, this.micRow, 'audioinput', 'Microphone', this.devices.deviceId('microphone'), this.devices.mayPublish('microphone'));
    put(this.cam, this.camRow, 'videoinput', 'Camera', this.devices.deviceId('camera'), this.devices.mayPublish('camera'));
    put(this.spk, this.spkRow, 'audiooutput', 'Speaker', this.sound.sinkId, Sound.canChooseSpeaker());
  }
}
