/**
 * The offline optimum of the scaling-quality section: the fewest replica-seconds that keep the
 * wait p95 at or under an SLO when the whole arrival trace is known in advance, under the service
 * model of `simulateWorkload` (src/simulate/workload.ts):
 *
 * - time runs in ticks of 1 s; in tick t, a_t items arrive and each ready replica drains R items;
 *   served_t = min(Q_t + a_t, R·k_t), Q_{t+1} = Q_t + a_t − served_t (a FIFO fluid queue);
 * - a replica asked for at t is ready S seconds later and costs from when it is asked for; one
 *   removed costs nothing more. So a plan of ready replicas k_0 … k_{T−1} (k_{−1} = the initial
 *   replicas, ready at 0) costs Σ k_t + S·Σ max(0, k_t − k_{t−1}) replica-seconds, and k_t can
 *   exceed the initial replicas only from t = S on;
 * - waits as the simulator reads them: tick s's items are represented by their middle one, which
 *   left when cumulative departures (linear within a tick) reached A_s + a_s/2. It waited longer
 *   than W exactly when D(s + W + ½) < A_s + a_s/2, and D at a half tick is the mean of the tick
 *   ends, so with D_j = A_j − Q_j: tick s is late ⇔ Q_{s+W} + Q_{s+W+1} > A_{s+W} + A_{s+W+1} − 2A_s − a_s
 *   (only for s + W + 1 ≤ T; later ticks cannot wait longer than W before the end);
 * - wait p95 ≤ W ⇔ the late ticks' items are at most 5 % of all items (the simulator's weighted
 *   percentile).
 *
 * Arrivals come in whole batches of R items (bench/traces.ts), so measuring the queue in units of
 * R items keeps every quantity a whole number and the late test exact.
 *
 * Method, and why the numbers are bounds (proof sketch):
 * 1. For a price λ ≥ 0 per late unit, a dynamic program over the state (Q_t, k_{t−1}) finds the
 *    plan minimizing cost + λ·late exactly: the choice of k_t only depends on the queue and the
 *    previous replicas (for the start-up charge), and the late test only on (Q_t, Q_{t+1}). The
 *    start-up charge S·max(0, k − k_prev) is handled for all k_prev at once with a prefix minimum
 *    (k ≤ k_prev, no charge) and a suffix minimum of G(k) + S·k (k > k_prev), so a step costs
 *    O(Q·K), not O(Q·K²).
 * 2. Two relaxations keep the table finite; both can only lower the minimum: the queue is capped
 *    at Q_max (items above it vanish, so the capped queue is never longer than the real one, and
 *    the late test is monotone in the queue), and plans above K_max replicas are replaced by one
 *    action, "flush", that empties the queue and costs K_max + 1 per tick and K_max + 1 replicas
 *    of start-up (every real plan above K_max serves at least as much and pays at least as much,
 *    and min(·, K_max + 1) never increases a later start-up charge).
 * 3. Weak duality: for every λ, min(cost + λ·late) − λ·budget ≤ the least cost with late ≤ budget
 *    (of the relaxed problem, hence of the real one). The best λ found is the LOWER BOUND.
 * 4. Each λ's plan, turned into a real plan (flush → enough replicas, the capped queue → the real
 *    one) and replayed exactly through the same queue and wait model (evaluatePlan), whose p95 is
 *    within the SLO, is a feasible plan: the cheapest is the UPPER BOUND.
 * The optimum lies between them; the report gives both, and gaps are stated against both.
 */
import { weightedPercentile } from "../src/simulate/summary.ts";

export interface OptimumProblem {
  /** Items arriving in each second; whole multiples of serviceRate. */
  counts: readonly number[];
  /** Items one ready replica drains per second (R). */
  serviceRate: number;
  /** Seconds from asking for a replica until it serves (S), whole. */
  startupSeconds: number;
  /** Wait p95 limit (W), whole seconds. */
  sloSeconds: number;
  /** Share of items that may wait longer than the SLO: 0.05 for a p95. */
  lateFraction: number;
  /** Replicas ready at t = 0. */
  initialReplicas: number;
  /** Replicas the table goes up to before "flush" (default: peak arrivals in replicas + 2). */
  maxReplicas?: number;
  /** Queue cap in units of serviceRate items (default: arrivals of SLO + 60 s at the peak, ≤ 1500). */
  maxQueueUnits?: number;
}

export interface PlanEvaluation {
  replicaSeconds: number;
  waitP95Seconds: number;
  /** Items of ticks whose middle item waited longer than the SLO. */
  lateItems: number;
  totalItems: number;
}

export interface OptimumResult {
  lowerBound: number;
  upperBound: number;
  /** Ready replicas per second of the upper bound's plan. */
  plan: number[];
  upperBoundWaitP95Seconds: number;
  /** The prices tried, with the relaxed plan's cost and late share. */
  prices: {
    lambda: number;
    dual: number;
    cost: number;
    lateShare: number;
    relaxed: boolean;
    feasibleCost: number | null;
  }[];
  maxReplicas: number;
  maxQueueUnits: number;
  seconds: number;
}

/**
 * Replays a plan of ready replicas through the simulator's queue and wait model: the cost is the
 * replica-seconds the simulator would count (start-ups S seconds ahead), waits are those of each
 * tick's middle item on the FIFO curves (as fifoWaits in src/simulate/workload.ts), p95 weighted by
 * items (weightedPercentile, the simulator's own).
 */
export function evaluatePlan(problem: OptimumProblem, plan: readonly number[]): PlanEvaluation {
  const { counts, serviceRate, startupSeconds, sloSeconds } = problem;
  const T = counts.length;
  let replicaSeconds = 0;
  let previous = problem.initialReplicas;
  const arrivals = [0];
  const departures = [0];
  let queue = 0;
  for (let t = 0; t < T; t++) {
    const ready = plan[t] ?? 0;
    replicaSeconds += ready + startupSeconds * Math.max(0, ready - previous);
    previous = ready;
    const arrived = counts[t] ?? 0;
    const served = Math.min(queue + arrived, ready * serviceRate);
    queue += arrived - served;
    arrivals.push((arrivals.at(-1) as number) + arrived);
    departures.push((departures.at(-1) as number) + served);
  }
  const waits: { value: number; weight: number }[] = [];
  let lateItems = 0;
  for (let s = 0; s < T; s++) {
    const amount = (arrivals[s + 1] as number) - (arrivals[s] as number);
    if (amount <= 0) continue;
    const wait = Math.max(0, departureTime(departures, (arrivals[s] as number) + amount / 2, T) - (s + 0.5));
    if (wait > sloSeconds) lateItems += amount;
    waits.push({ value: wait, weight: amount });
  }
  return {
    replicaSeconds,
    waitP95Seconds: weightedPercentile(waits, 0.95),
    lateItems,
    totalItems: arrivals.at(-1) as number,
  };
}

/** When the departures curve (linear within each tick) reaches `position`; `end` if never. */
function departureTime(departures: readonly number[], position: number, end: number): number {
  let low = 0;
  let high = departures.length - 1;
  if ((departures[high] as number) < position) return end;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((departures[middle] as number) >= position) high = middle;
    else low = middle + 1;
  }
  const before = departures[low - 1] ?? 0;
  const after = departures[low] as number;
  return low - 1 + (after === before ? 1 : (position - before) / (after - before));
}

interface Table {
  T: number;
  S: number;
  W: number;
  units: Int32Array;
  cumulative: Float64Array;
  /** Late threshold of the tick that ends its SLO at transition t (s = t − W), or −1. */
  threshold: Float64Array;
  lateUnits: Int32Array;
  kMax: number;
  qMax: number;
  kInit: number;
  totalUnits: number;
}

function table(problem: OptimumProblem): Table {
  const { counts, serviceRate } = problem;
  const T = counts.length;
  const units = Int32Array.from(counts, (count) => {
    if (count % serviceRate !== 0)
      throw new Error(`arrivals must come in whole batches of ${serviceRate} items`);
    return count / serviceRate;
  });
  const cumulative = new Float64Array(T + 1);
  for (let t = 0; t < T; t++) cumulative[t + 1] = (cumulative[t] as number) + (units[t] as number);
  const W = problem.sloSeconds;
  const threshold = new Float64Array(T).fill(-1);
  const lateUnits = new Int32Array(T);
  for (let t = W; t < T; t++) {
    const s = t - W;
    if ((units[s] as number) === 0) continue;
    threshold[t] =
      (cumulative[t] as number) +
      (cumulative[t + 1] as number) -
      2 * (cumulative[s] as number) -
      (units[s] as number);
    lateUnits[t] = units[s] as number;
  }
  const peak = Math.max(0, ...units);
  let busiest = 0;
  const window = W + 60;
  for (let t = 0; t + 1 <= T; t++)
    busiest = Math.max(busiest, (cumulative[Math.min(T, t + window)] as number) - (cumulative[t] as number));
  const kMax = Math.max(problem.maxReplicas ?? peak + 2, problem.initialReplicas);
  return {
    T,
    S: problem.startupSeconds,
    W,
    units,
    cumulative,
    threshold,
    lateUnits,
    kMax,
    qMax: problem.maxQueueUnits ?? Math.min(1500, busiest),
    kInit: problem.initialReplicas,
    totalUnits: cumulative[T] as number,
  };
}

/**
 * The plan minimizing cost + λ·late units in the relaxed problem, by backward induction. Returns
 * the minimum, the relaxed plan's cost and late units, whether that plan touched a relaxation
 * (queue cap, or more than K_max replicas), and the policy replayed on the real queue.
 *
 * Actions: k = 0 … K_max replicas, and "above": any k > K_max, chosen exactly (its cost is k and it
 * serves k units), except that the next state remembers it as K_max + 1 (so a later start-up is
 * charged from K_max + 1, never more than the real charge). Its best k is found through the next
 * queue j = Q + a − k: cost Q + a − j + λ·late(Q, j) + V(j, K_max + 1), where late(Q, j) holds for
 * j > B = threshold − Q; the no-late part is a prefix minimum over j, the late part an interval
 * [B + 1, J] that only widens as Q grows, so both are O(1) per Q.
 */
function solve(tab: Table, lambda: number, choice: Uint8Array, aboveNext: Int32Array) {
  const { T, S, units, threshold, lateUnits, kMax, qMax, kInit } = tab;
  const above = kMax + 1;
  const width = above + 1;
  let next = new Float64Array((qMax + 1) * width);
  let current = new Float64Array((qMax + 1) * width);
  const G = new Float64Array(width);
  const H = new Float64Array(qMax + 1);
  const prefixH = new Float64Array(qMax + 1);
  const prefixArgH = new Int32Array(qMax + 1);
  for (let t = T - 1; t >= 0; t--) {
    const arrived = units[t] as number;
    const limit = threshold[t] as number;
    const latePrice = lambda * (lateUnits[t] as number);
    const kTop = t < S ? kInit : above;
    const base = t * (qMax + 1) * width;
    // H(j) = V(j, above) − j and its prefix minimum.
    let running = Number.POSITIVE_INFINITY;
    let runningArg = 0;
    for (let j = 0; j <= qMax; j++) {
      const h = (next[j * width + above] as number) - j;
      H[j] = h;
      if (h < running) {
        running = h;
        runningArg = j;
      }
      prefixH[j] = running;
      prefixArgH[j] = runningArg;
    }
    let lateLow = -1;
    let lateHigh = -2;
    let lateMin = Number.POSITIVE_INFINITY;
    let lateArg = -1;
    for (let q = 0; q <= qMax; q++) {
      const kCap = kTop < kMax ? kTop : kMax;
      for (let k = 0; k <= kMax; k++) {
        if (k > kCap) {
          G[k] = Number.POSITIVE_INFINITY;
          continue;
        }
        let qNext = q + arrived - k;
        if (qNext < 0) qNext = 0;
        else if (qNext > qMax) qNext = qMax;
        const late = limit >= 0 && q + qNext > limit ? latePrice : 0;
        G[k] = k + late + (next[qNext * width + k] as number);
      }
      // The "above" action.
      let aboveCost = Number.POSITIVE_INFINITY;
      let aboveArg = 0;
      if (kTop >= above) {
        const work = q + arrived;
        if (work <= kMax) {
          // Every k > K_max empties the queue; the cheapest is K_max + 1.
          const late = limit >= 0 && q > limit ? latePrice : 0;
          aboveCost = above + late + (next[above] as number);
          aboveArg = 0;
        } else {
          const J = work - above; // the largest next queue an above action leaves
          const high = J < qMax ? J : qMax;
          const B = limit >= 0 ? limit - q : Number.POSITIVE_INFINITY;
          const noLateTop = B < high ? B : high;
          if (noLateTop >= 0) {
            const candidate = work + (prefixH[noLateTop] as number);
            if (candidate < aboveCost) {
              aboveCost = candidate;
              aboveArg = prefixArgH[noLateTop] as number;
            }
          }
          // Late part [max(0, B + 1), high]: widens on both ends as q grows.
          const low = B + 1 > 0 ? B + 1 : 0;
          if (Number.isFinite(B) && low <= high) {
            if (lateHigh < lateLow) {
              lateLow = low;
              lateHigh = low - 1;
              lateMin = Number.POSITIVE_INFINITY;
            }
            while (lateLow > low) {
              lateLow -= 1;
              if ((H[lateLow] as number) < lateMin) {
                lateMin = H[lateLow] as number;
                lateArg = lateLow;
              }
            }
            while (lateHigh < high) {
              lateHigh += 1;
              if ((H[lateHigh] as number) < lateMin) {
                lateMin = H[lateHigh] as number;
                lateArg = lateHigh;
              }
            }
            const candidate = work + lateMin + latePrice;
            if (candidate < aboveCost) {
              aboveCost = candidate;
              aboveArg = lateArg;
            }
          }
          if (J > qMax) {
            // Serving only K_max + 1 leaves more than the cap: the cap's state, cost K_max + 1.
            const late = limit >= 0 && q + qMax > limit ? latePrice : 0;
            const candidate = above + late + (next[qMax * width + above] as number);
            if (candidate < aboveCost) {
              aboveCost = candidate;
              aboveArg = J;
            }
          }
        }
      }
      G[above] = aboveCost;
      aboveNext[t * (qMax + 1) + q] = aboveArg;
      // k ≤ kPrev: no start-up; k > kPrev: S per added replica.
      let prefix = Number.POSITIVE_INFINITY;
      let prefixArg = 0;
      const row = q * width;
      const choiceRow = base + row;
      for (let kPrev = 0; kPrev < width; kPrev++) {
        const g = G[kPrev] as number;
        if (g < prefix) {
          prefix = g;
          prefixArg = kPrev;
        }
        current[row + kPrev] = prefix;
        choice[choiceRow + kPrev] = prefixArg;
      }
      let suffix = Number.POSITIVE_INFINITY;
      let suffixArg = 0;
      for (let kPrev = width - 1; kPrev >= 0; kPrev--) {
        const withStartup = suffix - S * kPrev;
        if (withStartup < (current[row + kPrev] as number)) {
          current[row + kPrev] = withStartup;
          choice[choiceRow + kPrev] = suffixArg;
        }
        const g = (G[kPrev] as number) + S * kPrev;
        if (g < suffix) {
          suffix = g;
          suffixArg = kPrev;
        }
      }
    }
    [next, current] = [current, next];
  }
  const kStart = Math.min(kInit, above);
  const minimum = next[kStart] as number;
  // The relaxed plan: its cost and late units (for the price search), and whether it used a relaxation.
  let q = 0;
  let kPrev = kStart;
  let cost = 0;
  let late = 0;
  let relaxed = false;
  for (let t = 0; t < T; t++) {
    const k = choice[t * (qMax + 1) * width + q * width + kPrev] as number;
    const arrived = units[t] as number;
    let served: number;
    let qNext: number;
    if (k === above) {
      const j = aboveNext[t * (qMax + 1) + q] as number;
      const real = Math.max(above, q + arrived - j);
      served = Math.min(real, q + arrived);
      qNext = q + arrived - served;
      cost += real + S * Math.max(0, above - kPrev);
      relaxed = true;
    } else {
      served = Math.min(k, q + arrived);
      qNext = q + arrived - served;
      cost += k + S * Math.max(0, k - kPrev);
    }
    if (qNext > qMax) {
      qNext = qMax;
      relaxed = true;
    }
    if ((threshold[t] as number) >= 0 && q + qNext > (threshold[t] as number)) late += lateUnits[t] as number;
    q = qNext;
    kPrev = k;
  }
  // The real plan: the same policy on the real queue (capped only to look the policy up).
  let realQueue = 0;
  let realPrev = kInit;
  const plan: number[] = [];
  for (let t = 0; t < T; t++) {
    const lookup = Math.min(realQueue, qMax);
    const k = choice[t * (qMax + 1) * width + lookup * width + Math.min(realPrev, above)] as number;
    const arrived = units[t] as number;
    const real =
      k === above ? Math.max(above, realQueue + arrived - (aboveNext[t * (qMax + 1) + lookup] as number)) : k;
    plan.push(real);
    realQueue = Math.max(0, realQueue + arrived - real);
    realPrev = real;
  }
  return { minimum, cost, late, relaxed, plan };
}

/** Lower and upper bounds of the offline optimum (see the file comment). */
export function offlineOptimum(problem: OptimumProblem, iterations = 18): OptimumResult {
  const started = performance.now();
  const tab = table(problem);
  const budget = problem.lateFraction * tab.totalUnits;
  if (tab.kMax + 1 > 255) throw new Error("too many replicas for the table (at most 254)");
  const choice = new Uint8Array(tab.T * (tab.qMax + 1) * (tab.kMax + 2));
  const aboveNext = new Int32Array(tab.T * (tab.qMax + 1));
  let lowerBound = 0;
  let upperBound = Number.POSITIVE_INFINITY;
  let best: { plan: number[]; p95: number } | undefined;
  const prices: OptimumResult["prices"] = [];
  const tryPrice = (lambda: number) => {
    const { minimum, cost, late, relaxed, plan } = solve(tab, lambda, choice, aboveNext);
    const dual = minimum - lambda * budget;
    lowerBound = Math.max(lowerBound, dual);
    const evaluation = evaluatePlan(problem, plan);
    const feasible = evaluation.waitP95Seconds <= problem.sloSeconds;
    if (feasible && evaluation.replicaSeconds < upperBound) {
      upperBound = evaluation.replicaSeconds;
      best = { plan, p95: evaluation.waitP95Seconds };
    }
    prices.push({
      lambda,
      dual,
      cost,
      lateShare: late / Math.max(1, tab.totalUnits),
      relaxed,
      feasibleCost: feasible ? evaluation.replicaSeconds : null,
    });
    return late;
  };
  // Bisection on log λ: the relaxed plan's late units fall as the price rises.
  let low = 1e-3;
  let high = 1e4;
  tryPrice(0);
  while (tryPrice(high) > budget && high < 1e9) high *= 10;
  for (let step = 0; step < iterations; step++) {
    const middle = Math.sqrt(low * high);
    if (tryPrice(middle) > budget) low = middle;
    else high = middle;
  }
  return {
    lowerBound,
    upperBound,
    plan: best?.plan ?? [],
    upperBoundWaitP95Seconds: best?.p95 ?? Number.NaN,
    prices,
    maxReplicas: tab.kMax,
    maxQueueUnits: tab.qMax,
    seconds: (performance.now() - started) / 1000,
  };
}
