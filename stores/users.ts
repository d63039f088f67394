// MySQL access for the users Tidings knows: anyone who has signed in or called the API.
import type { Pool, RowDataPacket } from 'mysql2/promise';

/** Records a user as known (once; a repeat changes nothing). */
export async function rememberUser(pool: Pool, userId: string): Promise<void> {
  await pool.query('INSERT IGNORE INTO users (user_id) VALUES (?)', [userId]);
}

/** Which of `userIds` are known. */
export async function knownUsers(pool: Pool, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const [rows] = await pool.query<RowDataPacket[]>('SELECT user_id FROM users WHERE user_id IN (?)', [userIds]);
  return new Set(rows.map((r) => r.user_id as string));
}
