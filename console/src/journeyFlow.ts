// The journey editor's flow layout: which ways leave each step, and rows of cards with the
// lines between them (loops drawn back up, skipped rows passed through), for JourneyFlow.vue.
import type { SplitVariant } from './api'
import type { EditStep, WaitUnit } from './journey'

export type EdgeKind = 'next' | 'then' | 'else' | 'variant' | 'holdout' | 'path' | 'timeout'

export interface FlowEdge {
  /** Unique within the layout. */
  id: string
  from: number
  /** The target step's index; null for the holdout (people leave) or a missing step. */
  to: number | null
  kind: EdgeKind
  /** Which of the source's ways this is (0-based) and how many it has: where the line leaves the card. */
  port: number
  ports: number
  /** Variant name and percent, for a split's ways. */
  variant?: SplitVariant
  /** For the labels of a wait_for's ways: the event a path waits for, the timeout as typed. */
  event?: string
  timeout?: { amount: number | null; unit: WaitUnit }
  /** Points back up the flow (a loop through a wait). */
  back: boolean
}

export type FlowItem =
  | { kind: 'step'; id: string; index: number }
  /** Where a line passes through a row it skips. */
  | { kind: 'pass'; id: string; edge: string }
  | { kind: 'holdout'; id: string; from: number; percent: number }

export interface FlowLayout {
  rows: FlowItem[][]
  edges: FlowEdge[]
  /** Steps the first step never leads to, drawn apart. */
  detached: number[]
  /** Each edge's items, source to target (passes between), by edge id. */
  routes: Map<string, string[]>
}

export const stepItemId = (index: number): string => `s${index}`

/** The ways on from each step, in the order they leave the card (left to right). */
export function outgoing(steps: EditStep[]): FlowEdge[][] {
  const index = new Map<string, number>()
  steps.forEach((s, i) => {
    if (s.id && !index.has(s.id)) index.set(s.id, i)
  })
  const target = (id: string): number | null => (id ? (index.get(id) ?? null) : null)
  return steps.map((s, i) => {
    const ways: Omit<FlowEdge, 'port' | 'ports' | 'back'>[] = []
    if (s.type === 'branch') {
      ways.push({ id: `e${i}.then`, from: i, to: target(s.then), kind: 'then' })
      ways.push({ id: `e${i}.else`, from: i, to: target(s.otherwise), kind: 'else' })
    } else if (s.type === 'split') {
      s.variants.forEach((v, j) => ways.push({ id: `e${i}.v${j}`, from: i, to: target(v.next), kind: 'variant', variant: v }))
      if (s.holdout > 0) ways.push({ id: `e${i}.holdout`, from: i, to: null, kind: 'holdout' })
    } else if (s.type === 'wait_for') {
      s.paths.forEach((p, j) => ways.push({ id: `e${i}.p${j}`, from: i, to: target(p.next), kind: 'path', event: p.event }))
      const timeout = { amount: s.timeoutAmount, unit: s.timeoutUnit }
      ways.push({ id: `e${i}.timeout`, from: i, to: target(s.onTimeout), kind: 'timeout', timeout })
    } else if (s.type !== 'exit' && s.next) {
      ways.push({ id: `e${i}.next`, from: i, to: target(s.next), kind: 'next' })
    }
    return ways.map((w, port) => ({ ...w, port, ports: ways.length, back: false }))
  })
}

export function layoutFlow(steps: EditStep[]): FlowLayout {
  const n = steps.length
  const out = outgoing(steps)
  const edges = out.flat()
  if (!n) return { rows: [], edges, detached: [], routes: new Map() }

  // Depth-first from the first step: what it reaches, and which edges close a loop.
  const state = new Array<0 | 1 | 2>(n).fill(0)
  const order: number[] = []
  const visit = (u: number): void => {
    state[u] = 1
    for (const e of out[u]) {
      if (e.to === null) continue
      if (state[e.to] === 1) e.back = true
      else if (state[e.to] === 0) visit(e.to)
    }
    state[u] = 2
    order.push(u)
  }
  visit(0)
  const reached = (i: number) => state[i] === 2

  // Longest path from the start over forward edges: each step one row below all its sources.
  const rank = new Array<number>(n).fill(0)
  for (const u of [...order].reverse()) {
    for (const e of out[u]) {
      if (e.to !== null && !e.back) rank[e.to] = Math.max(rank[e.to], rank[u] + 1)
    }
  }
  let depth = 0
  for (let i = 0; i < n; i++) if (reached(i)) depth = Math.max(depth, rank[i])
  for (const e of edges) if (e.kind === 'holdout' && reached(e.from)) depth = Math.max(depth, rank[e.from] + 1)

  // Each item with its predecessors in the row above (and the port they leave from), to order rows.
  interface Entry {
    item: FlowItem
    preds: { item: string; port: number; ports: number }[]
    index: number
  }
  const rows: Entry[][] = Array.from({ length: depth + 1 }, () => [])
  const itemsById = new Map<string, Entry>()
  const add = (row: number, item: FlowItem, index: number): Entry => {
    const entry: Entry = { item, preds: [], index }
    rows[row].push(entry)
    itemsById.set(item.id, entry)
    return entry
  }
  for (let i = 0; i < n; i++) if (reached(i)) add(rank[i], { kind: 'step', id: stepItemId(i), index: i }, i)

  const routes = new Map<string, string[]>()
  for (const e of edges) {
    if (!reached(e.from) || e.back) continue
    const fromRank = rank[e.from]
    if (e.kind === 'holdout') {
      const step = steps[e.from]
      const h = add(fromRank + 1, { kind: 'holdout', id: `h${e.from}`, from: e.from, percent: step.holdout }, e.from)
      h.preds.push({ item: stepItemId(e.from), port: e.port, ports: e.ports })
      routes.set(e.id, [stepItemId(e.from), h.item.id])
      continue
    }
    if (e.to === null) continue
    const route = [stepItemId(e.from)]
    let prev = { item: stepItemId(e.from), port: e.port, ports: e.ports }
    for (let r = fromRank + 1; r < rank[e.to]; r++) {
      const p = add(r, { kind: 'pass', id: `${e.id}@${r}`, edge: e.id }, e.from)
      p.preds.push(prev)
      prev = { item: p.item.id, port: 0, ports: 1 }
      route.push(p.item.id)
    }
    itemsById.get(stepItemId(e.to))!.preds.push(prev)
    route.push(stepItemId(e.to))
    routes.set(e.id, route)
  }

  // Row by row, each item under the average place of what leads to it (ports spread a source's ways).
  const place = new Map<string, number>()
  const ordered: FlowItem[][] = []
  rows.forEach((row, r) => {
    const width = Math.max(1, rows[r - 1]?.length ?? 1)
    const centre = (entry: Entry) => {
      if (!entry.preds.length) return Number.MAX_SAFE_INTEGER
      const xs = entry.preds.map((p) => (place.get(p.item) ?? 0) + (p.port + 1) / (p.ports + 1) - 0.5)
      return xs.reduce((a, b) => a + b, 0) / xs.length / width
    }
    const sorted = [...row].sort((a, b) => centre(a) - centre(b) || a.index - b.index)
    sorted.forEach((entry, i) => place.set(entry.item.id, i))
    ordered.push(sorted.map((e) => e.item))
  })

  const detached: number[] = []
  for (let i = 0; i < n; i++) if (!reached(i)) detached.push(i)
  return { rows: ordered, edges, detached, routes }
}
