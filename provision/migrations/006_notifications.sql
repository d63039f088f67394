-- Scheduled notifications: who may receive what (preferences), and each notification's status.
CREATE TABLE IF NOT EXISTS notification_users (
  user_id VARCHAR(128) PRIMARY KEY,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  quiet_start CHAR(5) NULL,
  quiet_end CHAR(5) NULL,
  muted_until DATETIME(3) NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);

CREATE TABLE IF NOT EXISTS notification_optins (
  user_id VARCHAR(128) NOT NULL,
  channel VARCHAR(8) NOT NULL,
  PRIMARY KEY (user_id, channel)
);

CREATE TABLE IF NOT EXISTS notifications (
  notification_id VARCHAR(64) PRIMARY KEY,
  user_id VARCHAR(128) NOT NULL,
  channel VARCHAR(8) NOT NULL,
  send_at DATETIME(3) NOT NULL,
  content JSON NOT NULL,
  source VARCHAR(8) NOT NULL,
  status VARCHAR(12) NOT NULL,
  reason VARCHAR(255) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  sent_at DATETIME(3) NULL,
  KEY notifications_user (user_id, status, send_at)
);
