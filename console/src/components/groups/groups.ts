// What the groups page, its side panel and its composer share: when a group is losing members,
// and the server's refusals of a post as the console words them.
import { useI18n } from 'vue-i18n'
import { ApiError, GROUP_POST_MAX_ATTACHMENTS, GROUP_POST_MAX_CHARS, type GroupRow } from '../../api'

/** Members who left in 7 days, as a share of the group before they left. */
export function leftShare(g: Pick<GroupRow, 'members' | 'left_7d'>): number {
  return g.left_7d / Math.max(1, g.members + g.left_7d)
}

/**
 * A group losing members: at least 2 left in 7 days, and at least a tenth of it (seed 002's
 * flooded group lost 70% in a week; a tenth is where to look before it gets there).
 */
export function leftTooMany(g: Pick<GroupRow, 'members' | 'left_7d'>): boolean {
  return g.left_7d >= 2 && leftShare(g) >= 0.1
}

/** The fields of a post the server names in a refusal: `groups`, `text`, `attachments[0].url`… */
export const POST_FIELDS = /^(groups|sender|text|key|attachments(\[\d+\](\.[a-z_]+)?)?)$/

/** A refusal of a post, in the console's words when it knows the field (the server's otherwise). */
export function usePostRefusal() {
  const { t } = useI18n()
  return (e: unknown): { field: string; message: string } | null => {
    if (!(e instanceof ApiError) || e.status !== 400 || !e.field || !POST_FIELDS.test(e.field)) return null
    const field = e.field
    const leaf = field.replace(/^attachments\[\d+\]\.?/, '')
    let message = e.message
    if (field === 'groups') message = t('groups.compose.errors.groups')
    else if (field === 'sender') message = t('groups.compose.errors.sender')
    else if (field === 'text') message = t('groups.compose.errors.text', { max: GROUP_POST_MAX_CHARS })
    else if (field === 'key') message = t('groups.compose.errors.key')
    else if (field === 'attachments') message = t('groups.compose.errors.attachments', { n: GROUP_POST_MAX_ATTACHMENTS })
    else if (leaf === 'url' || leaf === 'pic_url') message = t('groups.compose.errors.https')
    else if (['title', 'appid', 'page'].includes(leaf)) message = t('groups.compose.errors.short')
    return { field, message }
  }
}
