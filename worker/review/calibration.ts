/**
 * @module Whether a judge version is trusted on its own. Pure. With calibration off every
 * judge counts. With it on, a judge version is `uncalibrated` until at least `minVerdicts`
 * human verdicts on traces it judged agree with it at Cohen's kappa >= the threshold
 * (an undefined kappa, every answer the same, falls back to percent agreement).
 */
import type { Agreement } from "./agreement";
import type { ReviewSettings } from "./review-settings";

export type CalibrationState = "calibrated" | "uncalibrated" | "not_required";

export interface CalibrationStatus {
  state: CalibrationState;
  reason: string;
}

export function calibrationOf(agreement: Agreement, settings: ReviewSettings["calibration"]): CalibrationStatus {
  if (!settings.enabled) return { state: "not_required", reason: "calibration is off for this agent" };
  if (agreement.n < settings.minVerdicts) {
    return {
      state: "uncalibrated",
      reason: `${agreement.n} of the ${settings.minVerdicts} human verdicts needed so far`,
    };
  }
  const measure = agreement.kappa ?? agreement.percentAgreement ?? 0;
  const name = agreement.kappa === null ? "percent agreement" : "kappa";
  if (measure < settings.kappaThreshold) {
    return {
      state: "uncalibrated",
      reason: `${name} with humans ${measure.toFixed(2)} is below ${settings.kappaThreshold} over ${agreement.n} traces`,
    };
  }
  return { state: "calibrated", reason: `${name} with humans ${measure.toFixed(2)} over ${agreement.n} traces` };
}
