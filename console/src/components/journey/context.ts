// What the journey editor's parts share: the steps being edited, the workspace's templates,
// coupons and tags to choose from, the problems found in the last saved draft, and the edits.
import { inject, type InjectionKey, type Ref } from 'vue'
import type { Coupon, MessageTemplate, StepType, Tag } from '../../api'
import type { EditStep, Located, Via } from '../../journey'

export interface EditorContext {
  canManage: boolean
  steps: EditStep[]
  templates: Ref<MessageTemplate[]>
  coupons: Ref<Coupon[]>
  tags: Ref<Tag[]>
  /** Problems of one step (by its editor key). */
  problemsOf(key: number): Located[]
  /** The step the problem summary last pointed at, to highlight. */
  focused: Ref<number | null>
  insert(via: Via, type: StepType): void
  remove(key: number): void
  move(key: number, by: -1 | 1): void
  rename(key: number, id: string): void
  preview(step: EditStep): void
  /** Send the saved draft's step to the store's seed list (发送测试). */
  testSend(step: EditStep): void
}

export const EDITOR: InjectionKey<EditorContext> = Symbol('journey-editor')

export function useEditor(): EditorContext {
  const ctx = inject(EDITOR)
  if (!ctx) throw new Error('journey editor parts need the editor context')
  return ctx
}
