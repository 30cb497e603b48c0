/**
 * @module Agreement between two raters over the same traces (pass/fail): percent
 * agreement and Cohen's kappa, each with the number of traces behind it and a 95%
 * interval. Pure. Kappa's interval uses the large-sample standard error
 * sqrt(po(1-po) / (n(1-pe)^2)), clipped to [-1, 1]; it says "this few traces tell little".
 * When every trace agrees, or none does, that error is zero, so the interval is the Wilson
 * interval of the agreement rate mapped onto kappa instead: one verdict is never certainty.
 */
import { wilsonInterval, type Interval } from "../grading/statistics";

export interface Agreement {
  n: number;
  agree: number;
  percentAgreement: number | null;
  percentAgreementCI: Interval | null;
  kappa: number | null;
  kappaCI: Interval | null;
}

export function agreementOf(pairs: readonly ["pass" | "fail", "pass" | "fail"][], z = 1.96): Agreement {
  const n = pairs.length;
  if (n === 0) return { n, agree: 0, percentAgreement: null, percentAgreementCI: null, kappa: null, kappaCI: null };
  let agree = 0;
  let aPass = 0;
  let bPass = 0;
  for (const [a, b] of pairs) {
    if (a === b) agree++;
    if (a === "pass") aPass++;
    if (b === "pass") bPass++;
  }
  const po = agree / n;
  const pe = (aPass / n) * (bPass / n) + (1 - aPass / n) * (1 - bPass / n);
  let kappa: number | null;
  let kappaCI: Interval | null;
  if (pe === 1) {
    // Both raters gave one answer throughout: chance explains everything, kappa is undefined.
    kappa = null;
    kappaCI = null;
  } else {
    kappa = (po - pe) / (1 - pe);
    const percentCI = wilsonInterval(agree, n, z);
    if (agree === 0 || agree === n) {
      // All agree or none do: the large-sample error is zero and would claim certainty from
      // a single trace. Kappa's interval then maps the Wilson interval of the agreement rate.
      const asKappa = (p: number) => (p - pe) / (1 - pe);
      kappaCI = { low: Math.max(-1, asKappa(percentCI.low)), high: Math.min(1, asKappa(percentCI.high)) };
    } else {
      const se = Math.sqrt((po * (1 - po)) / (n * (1 - pe) ** 2));
      kappaCI = { low: Math.max(-1, kappa - z * se), high: Math.min(1, kappa + z * se) };
    }
  }
  return { n, agree, percentAgreement: po, percentAgreementCI: wilsonInterval(agree, n, z), kappa, kappaCI };
}
