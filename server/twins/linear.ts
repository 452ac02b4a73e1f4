/**
 * Weighted ridge regression with an unpenalised intercept, solved with ml-matrix. Columns are
 * scaled to unit root-mean-square first, so one penalty suits features of any unit. The penalty is
 * chosen from a grid by the closed-form weighted leave-one-out error (PRESS), so a fit on 10
 * subnets shrinks hard and a fit on 200 barely does. With weights 1/y² the fit minimises squared
 * relative error, which is what RMSPE and "within ±5%" judge.
 */
import { Matrix, solve } from 'ml-matrix';

export interface RidgeModel {
  intercept: number;
  /** Coefficients in the original feature units. */
  coef: number[];
  lambda: number;
}

export const RIDGE_LAMBDAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10] as const;

export function ridgePredict(model: RidgeModel, row: ArrayLike<number>): number {
  let y = model.intercept;
  for (let j = 0; j < model.coef.length; j++) y += model.coef[j] * row[j];
  return y;
}

/** `freeColumns`: how many leading feature columns are not penalised (besides the intercept). */
export function fitRidge(
  rows: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  weights: ArrayLike<number>,
  lambdas: readonly number[] = RIDGE_LAMBDAS,
  freeColumns = 0,
): RidgeModel {
  const n = rows.length;
  if (n === 0) throw new RangeError('ridge regression needs at least one row');
  const p = rows[0].length;
  const scale = new Float64Array(p);
  for (const row of rows) for (let j = 0; j < p; j++) scale[j] += row[j] * row[j];
  for (let j = 0; j < p; j++) scale[j] = Math.sqrt(scale[j] / n) || 1;
  // Design with the intercept in column 0.
  const X = new Matrix(n, p + 1);
  for (let i = 0; i < n; i++) {
    X.set(i, 0, 1);
    for (let j = 0; j < p; j++) X.set(i, j + 1, rows[i][j] / scale[j]);
  }
  const XtW = X.transpose();
  for (let i = 0; i < n; i++) for (let j = 0; j <= p; j++) XtW.set(j, i, XtW.get(j, i) * weights[i]);
  const gram = XtW.mmul(X);
  const yCol = Matrix.columnVector(Array.from(y));
  const rhs = XtW.mmul(yCol);
  // Scale the penalty with the data's weight so the grid means the same for any n and unit.
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += weights[i];
  let best: { beta: Matrix; lambda: number; press: number } | null = null;
  for (const lambda of lambdas) {
    const A = gram.clone();
    for (let j = 1 + freeColumns; j <= p; j++) A.set(j, j, A.get(j, j) + lambda * totalWeight);
    let beta: Matrix;
    let inverse: Matrix;
    try {
      inverse = solve(A, Matrix.eye(p + 1), true);
      beta = inverse.mmul(rhs);
    } catch {
      continue;
    }
    const fitted = X.mmul(beta);
    const hatPart = X.mmul(inverse);
    let press = 0;
    for (let i = 0; i < n; i++) {
      let h = 0;
      for (let j = 0; j <= p; j++) h += hatPart.get(i, j) * X.get(i, j);
      h *= weights[i];
      const residual = (y[i] - fitted.get(i, 0)) / Math.max(1 - h, 1e-6);
      press += weights[i] * residual * residual;
    }
    if (Number.isFinite(press) && (!best || press < best.press)) best = { beta, lambda, press };
  }
  if (!best) throw new RangeError('ridge regression found no stable solution');
  const beta = best.beta;
  return { intercept: beta.get(0, 0), coef: Array.from({ length: p }, (_, j) => beta.get(j + 1, 0) / scale[j]), lambda: best.lambda };
}
