// Chat: conversations, send, and live ticks (✓ SENT, ✓✓ DELIVERED, ✓✓ READ in blue). Opening a
// conversation marks what others wrote as read, which the sender sees as READ.
import { api, escapeHtml, showError } from '../api';
import type { Page } from '../page';

interface Message {
  messageId: string;
  senderId: string;
  text: string;
  status: string;
}

const TICKS: Record<string, string> = { PENDING: '…', SENT: '✓', DELIVERED: '✓✓', READ: '✓✓ read', FAILED: '✗ failed' };

export const chatPage: Page = (root, app) => {
  root.innerHTML = `<h1>Chat</h1>
    <form id="new-conversation" class="card" novalidate>
      <label>Talk to (user) <input name="member" autocomplete="off" /></label>
      <span class="field-error" data-error-for="members"></span>
      <button type="submit">Start conversation</button>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="conv-h"><h2 id="conv-h">Conversations</h2><ul id="conversations"></ul></section>
    <section class="card" aria-labelledby="msg-h" id="thread" hidden><h2 id="msg-h">Messages</h2>
      <ol id="messages" class="timeline" aria-live="polite"></ol>
      <form id="send" novalidate><label>Message <input name="text" autocomplete="off" /></label>
        <span class="field-error" data-error-for="text"></span><button type="submit">Send</button>
        <span class="field-error" data-error-for="form"></span></form></section>`;
  const list = root.querySelector('#conversations')!;
  const thread = root.querySelector<HTMLElement>('#thread')!;
  const messagesEl = root.querySelector('#messages')!;
  const sendForm = root.querySelector<HTMLFormElement>('#send')!;
  let open: string | undefined;

  const renderMessages = (messages: Message[]) => {
    messagesEl.innerHTML = messages
      .slice()
      .reverse()
      .map(
        (m) =>
          `<li data-message-id="${m.messageId}" data-status="${m.status}"><strong>${escapeHtml(m.senderId)}</strong>: ${escapeHtml(m.text)} <span class="tick">${m.senderId === app.userId ? (TICKS[m.status] ?? '') : ''}</span></li>`,
      )
      .join('');
  };
  const load = async () => {
    if (!open) return;
    const { messages } = await api<{ messages: Message[] }>('GET', `/conversations/${open}/messages`);
    renderMessages(messages);
    const fromOthers = messages.filter((m) => m.senderId !== app.userId && m.status !== 'READ');
    if (fromOthers[0]) await api('POST', `/conversations/${open}/read`, { upToMessageId: fromOthers[0].messageId });
  };
  const openConversation = (id: string) => {
    if (open) app.gateway.unsubscribe(`conversation:${open}`);
    open = id;
    thread.hidden = false;
    app.gateway.subscribe(`conversation:${id}`);
    void load();
  };
  const refreshList = async () => {
    const { conversations } = await api<{ conversations: { conversationId: string; channel: string }[] }>('GET', '/conversations');
    list.innerHTML =
      conversations
        .map((c) => `<li><button type="button" data-conversation="${c.conversationId}">${escapeHtml(c.channel)} ${c.conversationId.slice(0, 8)}</button></li>`)
        .join('') || '<li>none yet</li>';
    for (const b of list.querySelectorAll<HTMLButtonElement>('button[data-conversation]'))
      b.addEventListener('click', () => openConversation(b.dataset.conversation!));
  };

  root.querySelector<HTMLFormElement>('#new-conversation')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const member = String(new FormData(form).get('member')).trim();
    api<{ conversationId: string }>('POST', '/conversations', { organizationId: 'demo-org', channel: 'whatsapp', members: member ? [member] : [] }).then(
      async (c) => {
        showError(form, '');
        await refreshList();
        openConversation(c.conversationId);
      },
      (err: unknown) => showError(form, err),
    );
  });
  sendForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!open) return;
    const input = sendForm.querySelector<HTMLInputElement>('input[name="text"]')!;
    api('POST', `/conversations/${open}/messages`, { clientMessageId: crypto.randomUUID(), text: input.value }).then(
      () => {
        showError(sendForm, '');
        input.value = '';
        void load();
      },
      (err: unknown) => showError(sendForm, err),
    );
  });
  app.onEvent((e) => {
    if (!open || e.channel !== `conversation:${open}` || e.event !== 'message.status') return;
    const { messageId, status } = e.data as { messageId: string; status: string };
    const li = messagesEl.querySelector<HTMLElement>(`li[data-message-id="${messageId}"]`);
    if (!li) return void load(); // someone else's new message: fetch the thread (and read it)
    li.dataset.status = status;
    const tick = li.querySelector('.tick');
    if (tick && tick.textContent !== '') tick.textContent = TICKS[status] ?? status;
  });
  void refreshList();
};
