/**
 * Checking audio devices from the phone settings, DOM only: a short test sound on a chosen output
 * (`AudioContext.setSinkId`), and the microphone's level through an AnalyserNode read once per
 * animation frame while the check runs (never otherwise). When P2's audio bus is present the phone
 * uses its meter during calls; this is the settings page's own check.
 */

interface SinkableContext extends AudioContext {
  setSinkId?(id: string): Promise<void>;
}

/** Plays 0.6 s of 440 Hz on `deviceId` (null = default output). Resolves when done. */
export async function playTestSound(deviceId: string | null): Promise<void> {
  const context = new AudioContext() as SinkableContext;
  try {
    if (deviceId && context.setSinkId) await context.setSinkId(deviceId);
    await context.resume();
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    gain.gain.value = 0.15;
    oscillator.frequency.value = 440;
    oscillator.connect(gain).connect(context.destination);
    const ended = new Promise<void>((resolve) => (oscillator.onended = () => resolve()));
    oscillator.start();
    oscillator.stop(context.currentTime + 0.6);
    await ended;
  } finally {
    void context.close();
  }
}

/**
 * Opens the microphone `deviceId` with echo cancellation, noise suppression and automatic gain
 * (the constraints calls use) and reports its level 0..1 (peak of the waveform) each frame.
 * Answers a function that stops the check and releases the microphone.
 */
export async function watchMicLevel(deviceId: string | null, onLevel: (level: number) => void): Promise<() => void> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { deviceId: deviceId ? { exact: deviceId } : undefined, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let frame = 0;
  const read = (): void => {
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s));
    onLevel(Math.min(1, peak));
    frame = requestAnimationFrame(read);
  };
  frame = requestAnimationFrame(read);
  return () => {
    cancelAnimationFrame(frame);
    stream.getTracks().forEach((t) => t.stop());
    void context.close();
    onLevel(0);
  };
}
