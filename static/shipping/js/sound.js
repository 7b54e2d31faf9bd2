// Scan feedback sounds made with the Web Audio API: a short high beep for a good scan, a low buzz
// for a refused one. window.omsSound.ok() / .error().
(function () {
  let ctx = null;
  function tone(freq, ms, type) {
    try {
      ctx = ctx || new (window.AudioContext || window.webkitAudioContext)();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = type;
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + ms / 1000);
    } catch (e) { /* no audio device: the colour still says it */ }
  }
  window.omsSound = {
    ok: function () { tone(1320, 90, "sine"); },
    error: function () { tone(180, 450, "square"); },
  };
})();
