// Chat: your conversations (named by who is in them, with the latest message and how many you have
// not read), send, and live ticks (✓ sent, ✓✓ delivered, ✓✓ Read). Starting a conversation with
// someone you already talk to opens that one. Opening a conversation marks what others wrote as read,
// which the sender sees. The list follows `conversation.updated` on the user's channel (a new
// conversation, a message, a read on another tab), so every member's every tab sees it move. The
// open conversation is in the URL (#/chat/<id>): a reload keeps it open; on a phone the thread
// replaces the list until Back.
import { api, ApiError, escapeHtml, showError, type Humanize } from '../api';
import { laterStatus, latestOnly } from '../freshness';
import type { Page } from '../page';
import { clearErrorsOnInput, coalesce, failedTo, formatDateTime, formatTime, setState, whileBusy } from '../ui';
import { conversationChannel, userChannel } from '../../../contracts/channels';

interface Message {
  messageId: string;
  senderId: string;
  text: string;
  status: string;
  createdAt: string;
}
interface Conversation {
  conversationId: string;
  channel: string;
  members: string[];
  lastMessage: Message | null;
  unreadCount?: number;
}

/** The tick a sender sees, and what it means in words (for screen readers and the tooltip). */
const TICKS: Record<string, { mark: string; label: string }> = {
  PENDING: { mark: '○', label: 'Sending' },
  SENT: { mark: '✓', label: 'Sent' },
  DELIVERED: { mark: '✓✓', label: 'Delivered' },
  // Not only a colour: READ also says so in words (and is drawn bolder).
  READ: { mark: '✓✓', label: 'Read' },
  FAILED: { mark: '!', label: 'Not delivered' },
};
/** A message's statuses in the order the server moves it (never back); FAILED ends a PENDING or SENT one. */
const STATUS_ORDER = ['PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'];
const tickHtml = (status: string) => {
  const t = TICKS[status];
  if (!t) return '';
  const word = status === 'READ' ? '<span class="tick-word" aria-hidden="true">Read</span>' : '';
  return `<span class="tick" data-tick="${status}" role="img" aria-label="${t.label}" title="${t.label}"><span class="tick-mark">${t.mark}</span>${word}</span>`;
};

export const chatPage: Page = (root, app) => {
  root.innerHTML = `<h1>Chat</h1>
    <form id="new-conversation" class="card" novalidate>
      <label>Talk to (user) <input name="members" autocomplete="off" /></label>
      <span class="field-error" data-error-for="members"></span>
      <button type="submit">Start conversation</button>
      <span class="field-error" data-error-for="form"></span>
      <p id="start-outcome" role="status"></p>
    </form>
    <div class="chat" id="chat">
      <section class="card conversations-card" aria-labelledby="conv-h"><h2 id="conv-h">Conversations</h2>
        <p id="conversations-state" role="status">Loading your conversations…</p><ul id="conversations" class="list"></ul></section>
      <section class="card" aria-labelledby="msg-h" id="thread" hidden>
        <button type="button" id="back-to-list" class="link back">← Conversations</button>
        <h2 id="msg-h">Messages</h2><p id="thread-channel" class="channel"></p>
        <p id="messages-state" role="status"></p>
        <ol id="messages" class="messages" aria-live="polite"></ol>
        <form id="send" novalidate><label>Message <input name="text" autocomplete="off" /></label>
          <span class="field-error" data-error-for="text"></span><button type="submit">Send</button>
          <span class="field-error" data-error-for="form"></span></form></section>
    </div>`;
  const list = root.querySelector('#conversations')!;
  const listState = root.querySelector<HTMLElement>('#conversations-state')!;
  const thread = root.querySelector<HTMLElement>('#thread')!;
  const threadTitle = root.querySelector<HTMLElement>('#msg-h')!;
  const messagesEl = root.querySelector('#messages')!;
  const messagesState = root.querySelector<HTMLElement>('#messages-state')!;
  const sendForm = root.querySelector<HTMLFormElement>('#send')!;
  const startForm = root.querySelector<HTMLFormElement>('#new-conversation')!;
  const startOutcome = root.querySelector<HTMLElement>('#start-outcome')!;
  const chatEl = root.querySelector<HTMLElement>('#chat')!;
  clearErrorsOnInput(startForm);
  clearErrorsOnInput(sendForm);
  const humanize: Humanize = (field, message) =>
    field === 'text' ? (/empty/.test(message) ? 'Write something to send.' : 'A message can be at most 4,096 characters.') : undefined;
  const threadChannel = root.querySelector<HTMLElement>('#thread-channel')!;
  let open: string | undefined;
  let conversations: Conversation[] = [];
  /** The channel a conversation goes out on, said only when the user has more than one kind. */
  const channelName = (c: string) => ({ whatsapp: 'WhatsApp', instagram: 'Instagram' })[c] ?? c;
  const severalChannels = () => new Set(conversations.map((c) => c.channel)).size > 1;
  /** The open conversation is part of the URL, so a reload (or a shared link) opens it again. */
  const setUrl = (id: string | undefined) => history.replaceState(null, '', id ? `#/chat/${id}` : '#/chat');

  /** Who else is in it: "bob", "bob, carol"; a conversation with nobody else is "just you". */
  const nameOf = (c: Pick<Conversation, 'members'>) => c.members.filter((m) => m !== app.userId).join(', ') || 'just you';

  const messageHtml = (m: Message) => {
    const mine = m.senderId === app.userId;
    return `<li data-message-id="${escapeHtml(m.messageId)}" data-status="${escapeHtml(m.status)}" class="${mine ? 'mine' : 'theirs'}">
      <span class="sender">${mine ? 'You' : escapeHtml(m.senderId)}</span> <span class="text">${escapeHtml(m.text)}</span>
      <span class="meta"><time datetime="${escapeHtml(m.createdAt)}" title="${escapeHtml(formatDateTime(m.createdAt))}">${formatTime(m.createdAt)}</time> ${mine ? tickHtml(m.status) : ''}</span></li>`;
  };
  // The answer names its conversation: a superseded read gets the latest one's, maybe of another.
  const readThread = latestOnly((id: string) => api<{ messages: Message[] }>('GET', `/conversations/${id}/messages`).then((r) => ({ id, ...r })));
  const load = async () => {
    const asked = open;
    if (!asked) return;
    const { id, messages: read } = await readThread(asked);
    if (id !== open) return;
    // A tick pushed after this thread was read (READ) must not go back to the one read (DELIVERED).
    const shown = new Map([...messagesEl.querySelectorAll<HTMLElement>('li[data-message-id]')].map((li) => [li.dataset.messageId!, li.dataset.status]));
    const messages = read.map((m) => ({ ...m, status: laterStatus(STATUS_ORDER, shown.get(m.messageId), m.status) }));
    messagesEl.innerHTML = messages.slice().reverse().map(messageHtml).join('');
    if (messages.length) setState(messagesState, 'ready');
    else setState(messagesState, 'empty', 'No messages yet. Say hello below.');
    const fromOthers = messages.filter((m) => m.senderId !== app.userId && m.status !== 'READ' && m.status !== 'FAILED');
    if (fromOthers[0]) await api('POST', `/conversations/${id}/read`, { upToMessageId: fromOthers[0].messageId });
  };
  const reloadThread = coalesce(() => void load().catch(failedTo(messagesState, 'load the messages')));
  const openConversation = (id: string) => {
    const again = open === id;
    open = id;
    thread.hidden = false;
    const c = conversations.find((x) => x.conversationId === id);
    threadTitle.textContent = c ? `Messages with ${nameOf(c)}` : 'Messages';
    threadChannel.textContent = c && severalChannels() ? `via ${channelName(c.channel)}` : '';
    chatEl.classList.add('thread-open');
    setUrl(id);
    for (const b of list.querySelectorAll<HTMLElement>('button[data-conversation]')) b.toggleAttribute('aria-current', b.dataset.conversation === id);
    if (!again) {
      messagesEl.innerHTML = '';
      setState(messagesState, 'loading', 'Loading the messages…');
    }
    reloadThread();
  };

  const closeConversation = () => {
    open = undefined;
    thread.hidden = true;
    chatEl.classList.remove('thread-open');
    setUrl(undefined);
    for (const b of list.querySelectorAll<HTMLElement>('button[data-conversation]')) b.removeAttribute('aria-current');
    list.querySelector<HTMLElement>('button[data-conversation]')?.focus();
  };
  root.querySelector('#back-to-list')!.addEventListener('click', closeConversation);

  const renderList = () => {
    const several = severalChannels();
    list.innerHTML = conversations
      .map((c) => {
        const last = c.lastMessage;
        const unread = c.conversationId === open ? 0 : (c.unreadCount ?? 0);
        const badge = unread ? ` <span class="unread" data-unread="${unread}" aria-label="${unread} unread">${unread}</span>` : '';
        const preview = last
          ? `<span class="preview">${last.senderId === app.userId ? 'You' : escapeHtml(last.senderId)}: ${escapeHtml(last.text)} <time datetime="${escapeHtml(last.createdAt)}">${formatTime(last.createdAt)}</time></span>`
          : '<span class="preview">No messages yet</span>';
        const channel = several ? ` <span class="channel">${escapeHtml(channelName(c.channel))}</span>` : '';
        return `<li data-conversation-id="${escapeHtml(c.conversationId)}"><button type="button" class="conversation" data-conversation="${escapeHtml(c.conversationId)}"${c.conversationId === open ? ' aria-current="true"' : ''}>
          <span class="conv-name">${escapeHtml(nameOf(c))}${badge}</span>${channel} ${preview}</button></li>`;
      })
      .join('');
    for (const b of list.querySelectorAll<HTMLButtonElement>('button[data-conversation]'))
      b.addEventListener('click', () => openConversation(b.dataset.conversation!));
    if (conversations.length) setState(listState, 'ready');
    else setState(listState, 'empty', 'No conversations yet. Start one above with another user.');
  };
  const listConversations = latestOnly(() => api<{ conversations: Conversation[] }>('GET', '/conversations'));
  const refreshList = async () => {
    ({ conversations } = await listConversations());
    // Every listed conversation is live: a new message anywhere moves it up with its preview.
    for (const c of conversations) app.subscribe(conversationChannel(c.conversationId));
    renderList();
  };
  const reloadList = coalesce(() => void refreshList().catch(failedTo(listState, 'load your conversations')));
  // The conversation in the URL (a reload, a link) opens with the list.
  const fromUrl = /^#\/chat\/([0-9a-f-]{36})$/.exec(location.hash)?.[1];
  void refreshList().then(
    () => {
      if (fromUrl && conversations.some((c) => c.conversationId === fromUrl)) openConversation(fromUrl);
      else if (fromUrl) {
        setUrl(undefined);
        startOutcome.textContent = 'That conversation is not one of yours (or no longer exists).';
      }
    },
    failedTo(listState, 'load your conversations'),
  );

  startForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const member = String(new FormData(startForm).get('members')).trim();
    startOutcome.textContent = '';
    // Said here, before any request: the API refuses these too (422 naming members).
    if (!member) return showError(startForm, new ApiError(422, 'Enter the name of the user you want to talk to.', 'members'));
    if (member === app.userId) return showError(startForm, new ApiError(422, 'That is you: enter the name of someone else to talk to.', 'members'));
    const start = async () => {
      if (member) {
        // The one-to-one conversation already held with this member, if any: reused, not doubled.
        const { conversations: shared } = await api<{ conversations: Conversation[] }>('GET', `/conversations?with=${encodeURIComponent(member)}`);
        const existing = shared.find((c) => c.members.length === 2);
        if (existing) return { conversationId: existing.conversationId, reused: true };
      }
      const c = await api<{ conversationId: string }>('POST', '/conversations', { organizationId: 'demo-org', channel: 'whatsapp', members: [member] });
      return { conversationId: c.conversationId, reused: false };
    };
    void whileBusy(
      [startForm.querySelector<HTMLButtonElement>('button[type="submit"]')!],
      start().then(
        async ({ conversationId, reused }) => {
          showError(startForm, '');
          await refreshList();
          openConversation(conversationId);
          startOutcome.textContent = reused ? `You already have a conversation with ${member}: it is open below.` : `Conversation with ${member} started.`;
          sendForm.querySelector<HTMLInputElement>('input[name="text"]')!.focus();
        },
        (err: unknown) => showError(startForm, err),
      ),
      startForm,
    );
  });
  // One id per message the user means to send, kept if Send is pressed again after a failure.
  let clientMessageId: string | undefined;
  sendForm.addEventListener('input', () => (clientMessageId = undefined));
  sendForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!open) return;
    const input = sendForm.querySelector<HTMLInputElement>('input[name="text"]')!;
    clientMessageId ??= crypto.randomUUID();
    void whileBusy(
      [sendForm.querySelector<HTMLButtonElement>('button[type="submit"]')!],
      api('POST', `/conversations/${open}/messages`, { clientMessageId, text: input.value }).then(
        () => {
          clientMessageId = undefined;
          showError(sendForm, '');
          input.value = '';
          reloadThread();
          reloadList();
        },
        (err: unknown) => showError(sendForm, err, humanize),
      ),
      sendForm,
    );
  });
  app.onEvent((e) => {
    if (e.event === 'conversation.updated' && e.channel === userChannel(app.userId)) {
      // A conversation of mine was created, got a message, or was read on another tab.
      const { conversationId, reason } = e.data as { conversationId: string; reason: string };
      reloadList();
      if (conversationId === open && reason === 'message') reloadThread();
      return;
    }
    if (!e.channel.startsWith('conversation:') || e.event !== 'message.status') return;
    const id = e.channel.slice('conversation:'.length);
    const { messageId, status: pushed } = e.data as { messageId: string; status: string };
    const li = id === open ? messagesEl.querySelector<HTMLElement>(`li[data-message-id="${CSS.escape(messageId)}"]`) : null;
    if (!li) {
      reloadList(); // a new message here or elsewhere: its preview and order change
      if (id === open) reloadThread(); // someone else's new message: fetch the thread (and read it)
      return;
    }
    // The thread may have been read after this tick was sent, and already show a later one.
    const status = laterStatus(STATUS_ORDER, li.dataset.status, pushed);
    li.dataset.status = status;
    const tick = li.querySelector('.tick');
    if (tick) tick.outerHTML = tickHtml(status);
  });
  app.onGap(() => {
    reloadList();
    reloadThread();
  });
};
