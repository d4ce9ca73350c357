/**
 * Estimated MOS for a G.711 call: ITU-T G.107 E-model, simplified.
 *
 *   R = 93.2 − Id − Ie,eff                        (G.107 defaults: Ro − Is = 93.2, A = 0)
 *   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl + Bpl)    (G.107 §3.5 with BurstR = 1, random loss)
 *            Ie = 0, Bpl = 25.1 for G.711 with packet-loss concealment (G.113 Appendix I)
 *   Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)   (Cole & Rosenbluth's fit of G.107's Idd + Idte
 *            for a well echo-cancelled path; H = step function)
 *   d = RTT/2 + jitter buffer, jitter buffer ≈ 2 × interarrival jitter + one packet time
 *   MOS = 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶, clamped to [1, 4.5] (G.107 Annex B)
 *
 * What is left out: echo (Idte beyond the fit), quantisation (Iq), burst loss, the advantage
 * factor, and the far end's own buffering. It is a comparison figure, not a measurement.
 */

export interface MosInputs {
  /** Lost ÷ expected, 0–1. */
  lossFraction: number;
  /** Round trip in ms, or null if unknown (counted as 0). */
  rttMs: number | null;
  jitterMs: number;
  ptimeMs: number;
}

/** G.107 transmission rating factor R under the simplification above. */
export function rFactor(inputs: MosInputs): number {
  const ppl = Math.max(0, Math.min(1, inputs.lossFraction)) * 100;
  const ie = 0;
  const bpl = 25.1;
  const ieEff = ie + ((95 - ie) * ppl) / (ppl + bpl);
  const d = (inputs.rttMs ?? 0) / 2 + 2 * inputs.jitterMs + inputs.ptimeMs;
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  return 93.2 - id - ieEff;
}

/** G.107 Annex B: MOS from R. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.min(4.5, Math.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6));
}

export function estimateMos(inputs: MosInputs): number {
  return mosFromR(rFactor(inputs));
}
