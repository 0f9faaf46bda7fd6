// A settings form saved whole (the loyalty program, the service settings): the settings as last
// loaded or saved, the form edited from them, whether it differs, saving and resetting, and a
// refusal of one field (`levels[2].min_growth`) kept apart from any other error.
import { computed, ref, type Ref } from 'vue'
import { ApiError } from './api'
import { useAsync } from './async'

/** A number input's value: '' while it is empty. */
export type Num = number | ''

/** An empty input is sent as null: the server refuses it and names the field. */
export const num = (v: Num) => (v === '' ? null : v) as number

export interface FieldError {
  field: string
  message: string
}

export interface SettingsFormOptions<T, F> {
  load: () => Promise<T>
  /** The form to edit `saved` in. */
  toForm: (saved: T) => F
  /** What the form saves as. */
  toBody: (form: F) => T
  /** Saves `body`, answering the settings as they now stand. */
  save: (body: T) => Promise<T>
  /** Whether saving is allowed at all (the role's permission). */
  canSave: boolean
  /** What the refusal of `field` means, said in the console's language where the rule is known. */
  explain: (field: string, message: string, body: T) => string
  /** After a refusal of a field was shown (to bring it into view, say). */
  refused?: (field: string) => void | Promise<void>
  /** After a save. */
  saved?: (settings: T) => void
}

export function useSettingsForm<T, F>(o: SettingsFormOptions<T, F>) {
  /** The settings as last loaded or saved, and the form being edited from them. */
  const saved = ref<T | null>(null) as Ref<T | null>
  const form = ref<F | null>(null) as Ref<F | null>
  const busy = ref(false)
  const justSaved = ref(false)
  const actionError = ref<unknown>(null)
  const fieldError = ref<FieldError | null>(null)

  function adopt(s: T): void {
    saved.value = s
    form.value = o.toForm(s)
    fieldError.value = null
    actionError.value = null
  }

  const loaded = useAsync(async () => {
    const s = await o.load()
    adopt(s)
    return s
  })

  const dirty = computed(
    () =>
      !!form.value &&
      !!saved.value &&
      JSON.stringify(o.toBody(form.value)) !== JSON.stringify(o.toBody(o.toForm(saved.value))),
  )

  function reset(): void {
    if (saved.value) adopt(saved.value)
    justSaved.value = false
  }

  async function save(): Promise<void> {
    if (!form.value || !o.canSave) return
    const body = o.toBody(form.value)
    busy.value = true
    justSaved.value = false
    actionError.value = null
    fieldError.value = null
    try {
      const s = await o.save(body)
      adopt(s)
      justSaved.value = true
      o.saved?.(s)
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.field) {
        fieldError.value = { field: e.field, message: o.explain(e.field, e.message, body) }
        await o.refused?.(e.field)
      } else {
        actionError.value = e
      }
    } finally {
      busy.value = false
    }
  }

  /** The refusal's message when it names `field`, else ''. */
  const errorAt = (field: string) => (fieldError.value?.field === field ? fieldError.value.message : '')

  return { saved, form, busy, justSaved, actionError, fieldError, loaded, dirty, reset, save, errorAt }
}
