-- Chat: conversations with members (and their organization), messages and each status transition.
CREATE TABLE IF NOT EXISTS conversations (
  conversation_id CHAR(36) PRIMARY KEY,
  organization_id VARCHAR(128) NOT NULL,
  channel VARCHAR(16) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS conversation_members (
  conversation_id CHAR(36) NOT NULL,
  user_id VARCHAR(128) NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  KEY conversation_members_user (user_id)
);

CREATE TABLE IF NOT EXISTS messages (
  message_id CHAR(36) PRIMARY KEY,
  conversation_id CHAR(36) NOT NULL,
  sender_id VARCHAR(128) NOT NULL,
  client_message_id VARCHAR(64) NOT NULL,
  text TEXT NOT NULL,
  status VARCHAR(10) NOT NULL,
  created_at DATETIME(3) NOT NULL,
  sent_at DATETIME(3) NULL,
  delivered_at DATETIME(3) NULL,
  read_at DATETIME(3) NULL,
  failed_at DATETIME(3) NULL,
  UNIQUE KEY messages_client_id (conversation_id, sender_id, client_message_id),
  KEY messages_conversation (conversation_id, created_at)
);

CREATE TABLE IF NOT EXISTS message_transitions (
  message_id CHAR(36) NOT NULL,
  status VARCHAR(10) NOT NULL,
  at DATETIME(3) NOT NULL,
  recorded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (message_id, status)
);
