// The journey editor's model: a definition as editable state (flat objects, so switching a
// step's or trigger's type keeps what was typed), its conversion back to the API's JSON, and
// where each validation problem belongs. The flow layout the editor draws is journeyFlow.ts.
import type {
  ChannelKind,
  Definition,
  ExitRule,
  LifecycleStage,
  Problem,
  Reentry,
  SplitVariant,
  Step,
  StepType,
  Trigger,
  TriggerType,
} from './api'

export const TRIGGER_TYPES: TriggerType[] = [
  'event',
  'segment_entered',
  'segment_left',
  'stage_changed',
  'level_changed',
  'schedule',
  'depletion',
  'birthday',
  'live_session',
  'live_left',
  'live_no_order',
  'live_unanswered',
]

/** Events a trigger, goal or exit commonly names (the ingestion spec's names). */
export const COMMON_EVENTS = [
  'Order Completed',
  'Order Refunded',
  'Live Entered',
  'Live Watched',
  'Live Commented',
  'Live Replied',
  'Contact Added',
  'Contact Removed',
  'Group Joined',
  'Ticket Opened',
  'Ticket Resolved',
  'Coupon Redeemed',
  'Message Clicked',
  'Level Changed',
  'Referral Qualified',
]

export type SenderChoice = 'owner' | 'recent' | 'staff'
export type WaitMode = 'minutes' | 'until' | 'date'
export type WaitUnit = 'minutes' | 'hours' | 'days'
const UNIT_MINUTES: Record<WaitUnit, number> = { minutes: 1, hours: 60, days: 1440 }

/** A step as the editor holds it: every type's fields, only the current type's are sent. */
export interface EditStep {
  /** Stable identity in the editor (survives renames and moves); never sent. */
  key: number
  id: string
  type: StepType
  /** '' = the journey ends after this step. */
  next: string
  waitMode: WaitMode
  waitAmount: number | null
  waitUnit: WaitUnit
  until: string
  rule: string
  then: string
  otherwise: string
  variants: SplitVariant[]
  holdout: number
  /** split: pick the winner automatically once each variant has `minPerVariant` measured. */
  autoWinner: boolean
  minPerVariant: number | null
  /** send: at once, or held to the person's own active hour (docs/journeys.md, "Send time"). */
  sendTime: 'now' | 'personal'
  channel: ChannelKind
  template: string
  /** send: channels tried in order when `channel` cannot reach the person or is capped, each
   * with its own template (docs/journeys.md, "Channel fallback"). */
  fallback: EditChoice[]
  /** send on WeCom: which of the customer's staff members sends (docs/relationships.md). */
  sender: SenderChoice
  /** sender 'staff': the staff member's WeCom userid. */
  senderStaff: string
  coupon: string
  toInviter: boolean
  tag: string
  removeTag: boolean
  /** award_points: how many (1..100000000; null while the input is empty). */
  points: number | null
  /** award_points: what the member's ledger says ('' = the server's default, 旅程奖励). */
  reason: string
  topic: string
  // ---- wait: weekdays of an `until`, and a `date` on the person ----
  /** until: the weekdays it may end on (1 = Monday; none: any day). */
  untilWeekdays: number[]
  /** date: where the date comes from; 'trigger' reads `trigger.<dateProperty>`. */
  dateSource: DateSource
  dateProperty: string
  /** date: days after (negative: before) the date; null while the input is empty. */
  dateOffset: number | null
  /** date: HH:MM in the store's zone ('' = the date's own time of day). */
  dateAt: string
  // ---- wait_for (an action path) ----
  paths: EditPath[]
  timeoutAmount: number | null
  timeoutUnit: WaitUnit
  /** '' = the journey ends when no path's event comes in time. */
  onTimeout: string
}

/** A fallback channel of a send step and the template written for it. */
export interface EditChoice {
  channel: ChannelKind
  template: string
}

/** Where a date wait reads its date: a time property of the triggering event, or the profile. */
export type DateSource = 'trigger' | 'last_order' | 'first_order' | 'birthday'
export const DATE_SOURCES: DateSource[] = ['trigger', 'last_order', 'first_order', 'birthday']

/** One way out of a wait_for step, as the editor holds it. */
export interface EditPath {
  event: string
  properties: { key: string; value: string }[]
  /** Only an event about a message this journey sent (a click on its link). */
  thisJourney: boolean
  next: string
}

export interface EditTrigger {
  type: TriggerType
  event: string
  properties: { key: string; value: string }[]
  /** A segment id, as the segments API spells it ('' = none chosen). */
  segment: string
  stage: LifecycleStage
  level: string
  scheduleMode: 'once' | 'daily'
  /** `YYYY-MM-DDTHH:MM` in the store's time zone. */
  onceAt: string
  dailyAt: string
  weekdays: number[]
  daysBefore: number
  category: string
  at: string
  hoursBefore: number
  /** live_left: left within this many minutes of arriving. */
  withinMinutes: number
  /** live_no_order: watched at least this many minutes. */
  watchedMinutes: number
  /** live_unanswered: seconds a question waited. */
  seconds: number
}

export interface EditExit {
  key: number
  type: 'event' | 'rule'
  event: string
  rule: string
}

export interface EditState {
  trigger: EditTrigger
  audience: string
  goalEnabled: boolean
  goalEvent: string
  goalDays: number
  exits: EditExit[]
  reentry: Reentry['type']
  reentryDays: number
  /** After a message that could not go out: stop the steps after it, or carry on. */
  undelivered: 'stop' | 'continue'
  /** Marketing keeps the store's global control group out; a service journey reaches everyone. */
  marketing: boolean
  /** Priority, when capped, message tag, entry limits and coupon budget (docs/journeys.md). */
  limits: EditLimits
  steps: EditStep[]
}

/** A journey's limits as edited: an empty limit (null) is no limit. */
export interface EditLimits {
  priority: number
  whenCapped: 'skip' | 'defer'
  messageTag: string
  entriesPerDay: number | null
  entriesTotal: number | null
  couponBudget: number | null
}

export function blankLimits(): EditLimits {
  return { priority: 5, whenCapped: 'skip', messageTag: '', entriesPerDay: null, entriesTotal: null, couponBudget: null }
}

/** A number input left empty (or cleared) means no limit. */
const limit = (n: number | null | string | undefined): number | null =>
  typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : null

let nextKey = 1
export const newKey = (): number => nextKey++

export function blankStep(type: StepType, id: string): EditStep {
  return {
    key: newKey(),
    id,
    type,
    next: '',
    waitMode: 'minutes',
    waitAmount: 1,
    waitUnit: 'days',
    until: '10:00',
    rule: '',
    then: '',
    otherwise: '',
    variants: [],
    holdout: 0,
    autoWinner: false,
    minPerVariant: 500,
    sendTime: 'now',
    channel: 'wecom',
    template: '',
    fallback: [],
    sender: 'owner',
    senderStaff: '',
    coupon: '',
    toInviter: false,
    tag: '',
    removeTag: false,
    points: null,
    reason: '',
    topic: '',
    untilWeekdays: [],
    dateSource: 'trigger',
    dateProperty: 'delivered_at',
    dateOffset: 0,
    dateAt: '',
    paths: [],
    timeoutAmount: 2,
    timeoutUnit: 'days',
    onTimeout: '',
  }
}

function blankTrigger(): EditTrigger {
  return {
    type: 'event',
    event: 'Order Completed',
    properties: [],
    segment: '',
    stage: 'silent',
    level: '',
    scheduleMode: 'daily',
    onceAt: '',
    dailyAt: '10:00',
    weekdays: [],
    daysBefore: 2,
    category: '',
    at: '10:00',
    hoursBefore: 3,
    withinMinutes: 3,
    watchedMinutes: 20,
    seconds: 60,
  }
}

/** A new journey: an order triggers it, nothing happens yet. */
export function blankState(): EditState {
  return {
    trigger: blankTrigger(),
    audience: '',
    goalEnabled: true,
    goalEvent: 'Order Completed',
    goalDays: 7,
    exits: [],
    reentry: 'once',
    reentryDays: 30,
    undelivered: 'stop',
    marketing: true,
    limits: blankLimits(),
    steps: [],
  }
}

/** A wait in minutes, in the largest unit that divides it. */
function waitParts(minutes: number): { amount: number; unit: WaitUnit } {
  if (minutes > 0 && minutes % 1440 === 0) return { amount: minutes / 1440, unit: 'days' }
  if (minutes > 0 && minutes % 60 === 0) return { amount: minutes / 60, unit: 'hours' }
  return { amount: minutes, unit: 'minutes' }
}

function propertyText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** A property value as typed: numbers and true/false as such, anything else a string. */
function propertyValue(text: string): unknown {
  const t = text.trim()
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t)
  if (t === 'true' || t === 'false') return t === 'true'
  return text
}

export function toEditState(d: Definition, timeZone: string): EditState {
  const s = blankState()
  const tr = d.trigger
  s.trigger.type = tr.type
  switch (tr.type) {
    case 'event':
      s.trigger.event = tr.event
      s.trigger.properties = Object.entries(tr.properties ?? {}).map(([key, v]) => ({ key, value: propertyText(v) }))
      break
    case 'segment_entered':
    case 'segment_left':
      s.trigger.segment = String(tr.segment)
      break
    case 'stage_changed':
      s.trigger.stage = tr.to
      break
    case 'level_changed':
      s.trigger.level = tr.to ?? ''
      break
    case 'schedule':
      s.trigger.scheduleMode = tr.once_at ? 'once' : 'daily'
      s.trigger.onceAt = tr.once_at ? isoToLocalInput(tr.once_at, timeZone) : ''
      s.trigger.dailyAt = tr.daily_at ?? s.trigger.dailyAt
      s.trigger.weekdays = [...(tr.weekdays ?? [])]
      break
    case 'depletion':
      s.trigger.daysBefore = tr.days_before
      s.trigger.category = tr.category ?? ''
      break
    case 'birthday':
      s.trigger.daysBefore = tr.days_before
      s.trigger.at = tr.at
      break
    case 'live_session':
      s.trigger.hoursBefore = tr.hours_before
      break
    case 'live_left':
      s.trigger.withinMinutes = tr.within_minutes
      break
    case 'live_no_order':
      s.trigger.watchedMinutes = tr.watched_minutes
      break
    case 'live_unanswered':
      s.trigger.seconds = tr.seconds
      break
  }
  s.audience = d.audience ?? ''
  s.goalEnabled = !!d.goal
  if (d.goal) {
    s.goalEvent = d.goal.event
    s.goalDays = d.goal.within_days
  }
  s.exits = (d.exit ?? []).map((e) => ({
    key: newKey(),
    type: e.type,
    event: e.type === 'event' ? e.event : '',
    rule: e.type === 'rule' ? e.rule : '',
  }))
  const re = d.reentry ?? { type: 'once' }
  s.reentry = re.type
  if (re.type === 'after') s.reentryDays = re.days
  s.undelivered = d.undelivered ?? 'stop'
  s.marketing = d.marketing ?? true
  const l = d.limits
  s.limits = {
    priority: l?.priority ?? 5,
    whenCapped: l?.when_capped ?? 'skip',
    messageTag: l?.message_tag ?? '',
    entriesPerDay: l?.entries_per_day ?? null,
    entriesTotal: l?.entries_total ?? null,
    couponBudget: l?.coupon_budget ?? null,
  }
  s.steps = d.steps.map((st) => {
    const e = blankStep(st.type, st.id)
    e.next = st.next ?? ''
    switch (st.type) {
      case 'wait':
        if (st.date) {
          e.waitMode = 'date'
          const field = st.date.field
          if (field.startsWith('trigger.')) {
            e.dateSource = 'trigger'
            e.dateProperty = field.slice('trigger.'.length)
          } else {
            e.dateSource = (DATE_SOURCES as string[]).includes(field) ? (field as DateSource) : 'trigger'
            if (e.dateSource === 'trigger') e.dateProperty = field
          }
          e.dateOffset = st.date.offset_days ?? 0
          e.dateAt = st.date.at ?? ''
        } else if (st.until) {
          e.waitMode = 'until'
          e.until = st.until
          e.untilWeekdays = [...(st.weekdays ?? [])]
        } else {
          const p = waitParts(st.minutes ?? 0)
          e.waitAmount = p.amount
          e.waitUnit = p.unit
        }
        break
      case 'branch':
        e.rule = st.rule
        e.then = st.then
        e.otherwise = st.else
        break
      case 'wait_for': {
        e.paths = st.paths.map((p) => ({
          event: p.event,
          properties: Object.entries(p.properties ?? {}).map(([key, v]) => ({ key, value: propertyText(v) })),
          thisJourney: !!p.this_journey,
          next: p.next,
        }))
        const w = waitParts(st.timeout_minutes)
        e.timeoutAmount = w.amount
        e.timeoutUnit = w.unit
        e.onTimeout = st.on_timeout ?? ''
        break
      }
      case 'split':
        e.variants = st.variants.map((v) => ({ ...v }))
        e.holdout = st.holdout_percent ?? 0
        e.autoWinner = !!st.auto_winner
        if (st.auto_winner) e.minPerVariant = st.auto_winner.min_per_variant
        break
      case 'send':
        e.channel = st.channel
        e.template = st.template
        e.sendTime = st.send_time === 'personal' ? 'personal' : 'now'
        e.fallback = (st.fallback ?? []).map((f) => ({ channel: f.channel, template: f.template }))
        {
          // 'owner' | 'recent' | { staff: userid }; absent is the owner.
          const sender = (st as { sender?: unknown }).sender
          if (sender === 'recent') e.sender = 'recent'
          else if (sender && typeof sender === 'object' && 'staff' in sender) {
            e.sender = 'staff'
            e.senderStaff = String((sender as { staff: unknown }).staff ?? '')
          }
        }
        break
      case 'coupon':
        e.coupon = st.coupon
        e.toInviter = !!st.to_inviter
        break
      case 'tag':
        e.tag = st.tag
        e.removeTag = !!st.remove
        break
      case 'award_points':
        e.points = st.points
        e.reason = st.reason ?? ''
        e.toInviter = !!st.to_inviter
        break
      case 'webhook':
        e.topic = st.topic
        break
      case 'exit':
        break
    }
    return e
  })
  return s
}

/** A whole, non-negative number (the API's unsigned fields refuse anything else). */
const whole = (n: number | null | undefined): number => Math.max(0, Math.round(Number(n) || 0))

function toTrigger(t: EditTrigger, timeZone: string): Trigger {
  switch (t.type) {
    case 'event': {
      const properties: Record<string, unknown> = {}
      for (const p of t.properties) if (p.key.trim()) properties[p.key.trim()] = propertyValue(p.value)
      return { type: 'event', event: t.event.trim(), properties }
    }
    case 'segment_entered':
    case 'segment_left':
      return { type: t.type, segment: Number(t.segment) || 0 }
    case 'stage_changed':
      return { type: 'stage_changed', to: t.stage }
    case 'level_changed':
      return t.level.trim() ? { type: 'level_changed', to: t.level.trim() } : { type: 'level_changed' }
    case 'schedule':
      return t.scheduleMode === 'once'
        ? { type: 'schedule', once_at: localInputToIso(t.onceAt, timeZone), weekdays: [] }
        : { type: 'schedule', daily_at: t.dailyAt, weekdays: [...t.weekdays].sort((a, b) => a - b) }
    case 'depletion':
      return t.category.trim()
        ? { type: 'depletion', days_before: whole(t.daysBefore), category: t.category.trim() }
        : { type: 'depletion', days_before: whole(t.daysBefore) }
    case 'birthday':
      return { type: 'birthday', days_before: whole(t.daysBefore), at: t.at }
    case 'live_session':
      return { type: 'live_session', hours_before: whole(t.hoursBefore) }
    case 'live_left':
      return { type: 'live_left', within_minutes: whole(t.withinMinutes) }
    case 'live_no_order':
      return { type: 'live_no_order', watched_minutes: whole(t.watchedMinutes) }
    case 'live_unanswered':
      return { type: 'live_unanswered', seconds: whole(t.seconds) }
  }
}

function toStep(e: EditStep): Step {
  const id = e.id.trim()
  const next = e.next ? { next: e.next } : {}
  switch (e.type) {
    case 'wait':
      // Exactly one of minutes, until and date goes out; weekdays only with until.
      if (e.waitMode === 'date') return { id, type: 'wait', date: dateOf(e), ...next }
      if (e.waitMode === 'until') {
        const weekdays = [...e.untilWeekdays].sort((a, b) => a - b)
        return { id, type: 'wait', until: e.until, ...(weekdays.length ? { weekdays } : {}), ...next }
      }
      return { id, type: 'wait', minutes: whole(whole(e.waitAmount) * UNIT_MINUTES[e.waitUnit]), ...next }
    case 'wait_for':
      return {
        id,
        type: 'wait_for',
        paths: e.paths.map((p) => {
          const properties: Record<string, unknown> = {}
          for (const x of p.properties) if (x.key.trim()) properties[x.key.trim()] = propertyValue(x.value)
          return {
            event: p.event.trim(),
            ...(Object.keys(properties).length ? { properties } : {}),
            ...(p.thisJourney ? { this_journey: true } : {}),
            next: p.next,
          }
        }),
        timeout_minutes: whole(whole(e.timeoutAmount) * UNIT_MINUTES[e.timeoutUnit]),
        ...(e.onTimeout ? { on_timeout: e.onTimeout } : {}),
      }
    case 'branch':
      return { id, type: 'branch', rule: e.rule.trim(), then: e.then, else: e.otherwise }
    case 'split':
      return {
        id,
        type: 'split',
        variants: e.variants.map((v) => ({ name: v.name.trim(), percent: whole(v.percent), next: v.next })),
        holdout_percent: whole(e.holdout),
        ...(e.autoWinner ? { auto_winner: { min_per_variant: whole(e.minPerVariant) } } : {}),
      }
    case 'send':
      return {
        id,
        type: 'send',
        channel: e.channel,
        template: e.template,
        ...senderOf(e),
        ...(e.sendTime === 'personal' ? { send_time: 'personal' as const } : {}),
        ...(e.fallback.length ? { fallback: e.fallback.map((f) => ({ channel: f.channel, template: f.template })) } : {}),
        ...next,
      }
    case 'coupon':
      return { id, type: 'coupon', coupon: e.coupon, ...(e.toInviter ? { to_inviter: true } : {}), ...next }
    case 'tag':
      return { id, type: 'tag', tag: e.tag.trim(), ...(e.removeTag ? { remove: true } : {}), ...next }
    case 'award_points':
      return {
        id,
        type: 'award_points',
        points: whole(e.points),
        ...(e.reason.trim() ? { reason: e.reason.trim() } : {}),
        ...(e.toInviter ? { to_inviter: true } : {}),
        ...next,
      }
    case 'webhook':
      return { id, type: 'webhook', topic: e.topic.trim(), ...next }
    case 'exit':
      return { id, type: 'exit' }
  }
}

/** A date wait's `date`: `trigger.<property>` or a profile date, moved by days, at a time. */
function dateOf(e: EditStep): { field: string; offset_days: number; at?: string } {
  const field = e.dateSource === 'trigger' ? `trigger.${e.dateProperty.trim()}` : e.dateSource
  const offset = Math.round(Number(e.dateOffset) || 0)
  return { field, offset_days: offset, ...(e.dateAt ? { at: e.dateAt } : {}) }
}

export function toDefinition(s: EditState, timeZone: string): Definition {
  const exit: ExitRule[] = s.exits.map((x) =>
    x.type === 'event' ? { type: 'event', event: x.event.trim() } : { type: 'rule', rule: x.rule.trim() },
  )
  const reentry: Reentry =
    s.reentry === 'after' ? { type: 'after', days: whole(s.reentryDays) } : { type: s.reentry }
  return {
    trigger: toTrigger(s.trigger, timeZone),
    audience: s.audience.trim() || null,
    steps: s.steps.map(toStep),
    goal: s.goalEnabled ? { event: s.goalEvent.trim(), within_days: whole(s.goalDays) } : null,
    exit,
    reentry,
    undelivered: s.undelivered,
    marketing: s.marketing,
    limits: {
      priority: whole(s.limits.priority),
      when_capped: s.limits.whenCapped,
      message_tag: s.limits.messageTag.trim() || null,
      entries_per_day: limit(s.limits.entriesPerDay),
      entries_total: limit(s.limits.entriesTotal),
      coupon_budget: limit(s.limits.couponBudget),
    },
  }
}

// ---- Editing the steps ----

/** The first `type_n` id no step has. */
export function freshId(steps: EditStep[], type: StepType): string {
  const taken = new Set(steps.map((s) => s.id))
  for (let n = 1; ; n++) {
    const id = `${type}_${n}`
    if (!taken.has(id)) return id
  }
}

/** Where a new step goes: after a step on its `next`, a branch's way, a split's variant, or at the start. */
export type Via =
  | { kind: 'start' }
  | { kind: 'next'; key: number }
  | { kind: 'then' | 'else'; key: number }
  | { kind: 'variant'; key: number; variant: number }
  // A wait_for step's ways: one of its paths, or its timeout.
  | { kind: 'path'; key: number; path: number }
  | { kind: 'timeout'; key: number }

/** Inserts a new step of `type` on the way `via`, pointing on to where that way went; returns it. */
export function insertStep(steps: EditStep[], type: StepType, via: Via): EditStep {
  const step = blankStep(type, freshId(steps, type))
  let onward = ''
  let at = 0
  if (via.kind === 'start') {
    onward = steps[0]?.id ?? ''
  } else {
    const i = steps.findIndex((s) => s.key === via.key)
    const from = steps[i]
    at = i + 1
    if (via.kind === 'next') {
      onward = from.next
      from.next = step.id
    } else if (via.kind === 'then') {
      onward = from.then
      from.then = step.id
    } else if (via.kind === 'else') {
      onward = from.otherwise
      from.otherwise = step.id
    } else if (via.kind === 'variant') {
      const v = from.variants[via.variant]
      onward = v.next
      v.next = step.id
    } else if (via.kind === 'path') {
      const p = from.paths[via.path]
      onward = p.next
      p.next = step.id
    } else if (via.kind === 'timeout') {
      onward = from.onTimeout
      from.onTimeout = step.id
    }
  }
  if (type === 'branch') {
    step.then = onward
    step.otherwise = onward
  } else if (type === 'split') {
    step.variants = [
      { name: 'A', percent: 50, next: onward },
      { name: 'B', percent: 50, next: onward },
    ]
  } else if (type === 'wait_for') {
    // An order by default; both it and the timeout go on where the way went, like a branch.
    step.paths = [{ event: 'Order Completed', properties: [], thisJourney: false, next: onward }]
    step.onTimeout = onward
  } else if (type !== 'exit') {
    step.next = onward
  }
  steps.splice(at, 0, step)
  return step
}

/** Every place a step names another: (get, set) pairs over one step. */
function references(s: EditStep): { get: () => string; set: (v: string) => void }[] {
  const refs = [
    { get: () => s.next, set: (v: string) => (s.next = v) },
    { get: () => s.then, set: (v: string) => (s.then = v) },
    { get: () => s.otherwise, set: (v: string) => (s.otherwise = v) },
  ]
  for (const v of s.variants) refs.push({ get: () => v.next, set: (x: string) => (v.next = x) })
  for (const p of s.paths) refs.push({ get: () => p.next, set: (x: string) => (p.next = x) })
  refs.push({ get: () => s.onTimeout, set: (v: string) => (s.onTimeout = v) })
  return refs
}

/** Removes a step; whatever led to it leads where it went (for steps with one way on). */
export function deleteStep(steps: EditStep[], key: number): void {
  const i = steps.findIndex((s) => s.key === key)
  if (i < 0) return
  const [gone] = steps.splice(i, 1)
  const onward = ['branch', 'split', 'wait_for', 'exit'].includes(gone.type) ? '' : gone.next
  if (steps.some((s) => s.id === gone.id)) return // another step still has that id
  for (const s of steps) {
    for (const r of references(s)) if (r.get() === gone.id) r.set(onward)
  }
}

/** Renames a step and every reference to it (unless the new id is taken or empty). */
export function renameStep(steps: EditStep[], key: number, id: string): void {
  const step = steps.find((s) => s.key === key)
  if (!step) return
  const old = step.id
  const clean = id.trim()
  step.id = clean
  if (!clean || clean === old || steps.some((s) => s.key !== key && (s.id === clean || s.id === old))) return
  for (const s of steps) {
    for (const r of references(s)) if (r.get() === old) r.set(clean)
  }
}

export function moveStep(steps: EditStep[], key: number, by: -1 | 1): void {
  const i = steps.findIndex((s) => s.key === key)
  const j = i + by
  if (i < 0 || j < 0 || j >= steps.length) return
  ;[steps[i], steps[j]] = [steps[j], steps[i]]
}

/** The send step's `sender`, only on WeCom and only when not the default (the owner). */
function senderOf(e: EditStep): { sender?: 'recent' | { staff: string } } {
  if (e.channel !== 'wecom') return {}
  if (e.sender === 'recent') return { sender: 'recent' }
  if (e.sender === 'staff') return { sender: { staff: e.senderStaff.trim() } }
  return {}
}

// ---- Problems ----

/** Where a problem belongs: a step (by index in the definition it was found in) and the field inside it. */
export interface Located {
  problem: Problem
  /** The step's index, when the field is `steps[i]…`. */
  step: number | null
  /** What follows `steps[i].` (`template`, `variants[1].next`), or the whole field otherwise. */
  sub: string
  /** The top-level part: trigger, audience, goal, exit, reentry, steps, name, definition. */
  section: string
}

export function locate(problem: Problem): Located {
  // A publish refusal names the field inside the definition as `definition.steps[2].then`.
  const field = problem.field.replace(/^definition\./, '')
  const m = /^steps\[(\d+)\](?:\.(.+))?$/.exec(field)
  if (m) return { problem: { ...problem, field }, step: Number(m[1]), sub: m[2] ?? '', section: 'steps' }
  const section = /^[a-z_]+/.exec(field)?.[0] ?? 'definition'
  return { problem: { ...problem, field }, step: null, sub: field, section }
}

// ---- Times in the store's zone ----

function zoneParts(at: Date, timeZone: string): Record<string, number> {
  let f: Intl.DateTimeFormat
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
  } catch {
    return zoneParts(at, 'UTC')
  }
  const parts: Record<string, number> = {}
  for (const p of f.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  return parts
}

/** How far the zone's clock is ahead of UTC at `at`, in ms. */
function zoneOffset(at: Date, timeZone: string): number {
  const p = zoneParts(at, timeZone)
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second)
  return wall - Math.floor(at.getTime() / 1000) * 1000
}

/** An instant as `YYYY-MM-DDTHH:MM` on the zone's clock (for a datetime-local input). */
export function isoToLocalInput(iso: string, timeZone: string): string {
  const d = new Date(iso)
  if (isNaN(d.getTime())) return ''
  const p = zoneParts(d, timeZone)
  const two = (x: number) => String(x).padStart(2, '0')
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour % 24)}:${two(p.minute)}`
}

/** `YYYY-MM-DDTHH:MM` on the zone's clock as an RFC 3339 instant; null when empty or malformed. */
export function localInputToIso(local: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local)
  if (!m) return null
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5])
  let t = wall - zoneOffset(new Date(wall), timeZone)
  t = wall - zoneOffset(new Date(t), timeZone)
  return new Date(t).toISOString().replace('.000Z', 'Z')
}

// ---- Looks ----

/** Colour and icon (a 24×24 SVG path) of each step type. */
export const STEP_LOOKS: Record<StepType, { color: string; icon: string }> = {
  wait: { color: '#868e96', icon: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 5h-2v6.4l5.2 3.1 1-1.7-4.2-2.5z' },
  // An hourglass: waiting for what the person does next.
  wait_for: { color: '#ae3ec9', icon: 'M6 2v6l4 4-4 4v6h12v-6l-4-4 4-4V2zm10 14.5V20H8v-3.5l4-4zm-4-5-4-4V4h8v3.5z' },
  branch: {
    color: '#7048e8',
    icon: 'M7 3a3 3 0 0 0-1 5.8v6.4A3 3 0 1 0 8 15.2V13.5c0-.8.7-1.5 1.5-1.5H15a4 4 0 0 0 4-4v-.2a3 3 0 1 0-2 0V8a2 2 0 0 1-2 2H9.5c-.5 0-1 .1-1.5.3V8.8A3 3 0 0 0 7 3z',
  },
  split: { color: '#1c7ed6', icon: 'M14 4l2.3 2.3-2.9 2.9 1.4 1.4 2.9-2.9L20 10V4zm-4 0H4v6l2.3-2.3 4.7 4.7V20h2v-8.4l-5.3-5.3z' },
  send: { color: '#2b8a3e', icon: 'M2 21l21-9L2 3v7l15 2-15 2z' },
  coupon: {
    color: '#e8590c',
    icon: 'M22 10V6a2 2 0 0 0-2-2H4a2 2 0 0 0-2 2v4a2 2 0 0 1 0 4v4a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-4a2 2 0 0 1 0-4zm-9 7.5h-2v-2h2zm0-4.5h-2v-2h2zm0-4.5h-2v-2h2z',
  },
  award_points: {
    color: '#f59f00',
    icon: 'M12 17.3l6.2 3.7-1.6-7 5.4-4.8-7.2-.6L12 2 9.2 8.6 2 9.2l5.4 4.8-1.6 7z',
  },
  tag: {
    color: '#0c8599',
    icon: 'M21.4 11.6l-9-9A2 2 0 0 0 11 2H4a2 2 0 0 0-2 2v7c0 .6.2 1.1.6 1.4l9 9a2 2 0 0 0 2.8 0l7-7a2 2 0 0 0 0-2.8zM6.5 8a1.5 1.5 0 1 1 0-3 1.5 1.5 0 0 1 0 3z',
  },
  webhook: {
    color: '#4263eb',
    icon: 'M3.9 12a3.1 3.1 0 0 1 3.1-3.1h4V7H7a5 5 0 0 0 0 10h4v-1.9H7A3.1 3.1 0 0 1 3.9 12zM8 13h8v-2H8zm9-6h-4v1.9h4a3.1 3.1 0 0 1 0 6.2h-4V17h4a5 5 0 0 0 0-10z',
  },
  exit: {
    color: '#c92a2a',
    icon: 'M10.1 15.6l1.4 1.4 5-5-5-5-1.4 1.4 2.6 2.6H3v2h9.7zM19 3H5a2 2 0 0 0-2 2v4h2V5h14v14H5v-4H3v4a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2z',
  },
}
