import { DownOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Dropdown, Form, Input, Modal, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { api, type StaffMe, type StaffRole } from '../../api';
import { errorText, Loadable, ToneTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import { ROLE_NAMES } from './shared';

interface User {
  id: string;
  agencyId: string;
  username: string;
  displayName: string;
  roles: StaffRole[];
  totpEnabled: boolean;
  locked: boolean;
  disabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}
type Dialog = { kind: 'create' } | { kind: 'edit'; user: User } | { kind: 'secret'; user: string; password: string };

/** Staff accounts of the agency: create (one-time initial password), roles, disable, unlock, reset password/TOTP. */
export function Users({ me }: { me: StaffMe }) {
  const t = useT();
  const { message, modal } = App.useApp();
  const st = useAsync(() => api<{ items: User[] }>('/api/v1/admin/users'), []);
  const province = me.roles.includes('province-admin');
  const agencies = useAsync(
    () =>
      province ? api<{ items: { id: string; name: string }[] }>('/api/v1/agencies') : Promise.resolve({ items: [] }),
    [province],
  );
  const [dialog, setDialog] = useState<Dialog>();
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const roles = ROLE_NAMES(t);
  const roleOptions = (Object.keys(roles) as StaffRole[])
    .filter((r) => province || r !== 'province-admin')
    .map((r) => ({ value: r, label: roles[r] }));
  const agencyName = (id: string) => agencies.data?.items.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  const patch = async (u: User, body: object, done: string) => {
    try {
      await api(`/api/v1/admin/users/${u.id}`, { method: 'PATCH', body });
      message.success(done);
      st.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  const resetPassword = (u: User) =>
    modal.confirm({
      title: t(`重置 ${u.username} 的密码？`, `Reset the password of ${u.username}?`),
      content: t('将生成一次性新密码并结束其全部会话。', 'A one-time password is made and all their sessions end.'),
      okText: t('重置', 'Reset'),
      cancelText: t('取消', 'Cancel'),
      onOk: async () => {
        try {
          const r = await api<{ password: string }>(`/api/v1/admin/users/${u.id}/password-reset`, { method: 'POST' });
          setDialog({ kind: 'secret', user: u.username, password: r.password });
        } catch (e) {
          message.error(errorText(e, t));
        }
      },
    });
  const submit = async (v: { username?: string; displayName: string; roles: StaffRole[]; agencyId?: string }) => {
    setErr(undefined);
    setBusy(true);
    try {
      if (dialog?.kind === 'create') {
        const r = await api<{ user: User; initialPassword: string }>('/api/v1/admin/users', { body: v });
        setDialog({ kind: 'secret', user: r.user.username, password: r.initialPassword });
      } else if (dialog?.kind === 'edit') {
        await api(`/api/v1/admin/users/${dialog.user.id}`, {
          method: 'PATCH',
          body: { displayName: v.displayName, roles: v.roles },
        });
        message.success(t('已保存', 'Saved'));
        setDialog(undefined);
      }
      st.reload();
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      title={t('用户管理', 'Users')}
      extra={
        <Button
          type="primary"
          onClick={() => {
            setErr(undefined);
            setDialog({ kind: 'create' });
          }}
          data-testid="user-create"
        >
          {t('新建用户', 'New user')}
        </Button>
      }
    >
      <Loadable
        state={st}
        what={t('用户列表', 'users')}
        empty={(d) => d.items.length === 0}
        emptyText={t('暂无工作人员账号', 'No staff accounts yet')}
      >
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 1000 }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('用户名', 'User name'), dataIndex: 'username' },
              { title: t('姓名', 'Name'), dataIndex: 'displayName' },
              ...(province
                ? [{ title: t('机构', 'Agency'), dataIndex: 'agencyId', render: (v: string) => agencyName(v) }]
                : []),
              {
                title: t('角色', 'Roles'),
                render: (_, u) => (
                  <Space size={4} wrap>
                    {u.roles.map((r) => (
                      <ToneTag key={r} tone="info">
                        {roles[r] ?? r}
                      </ToneTag>
                    ))}
                  </Space>
                ),
              },
              {
                title: t('动态验证码', 'TOTP'),
                render: (_, u) => (u.totpEnabled ? t('已绑定', 'Enrolled') : t('未绑定', 'Not enrolled')),
              },
              {
                title: t('状态', 'State'),
                render: (_, u) =>
                  u.disabled ? (
                    <ToneTag tone="bad">{t('停用', 'Disabled')}</ToneTag>
                  ) : u.locked ? (
                    <ToneTag tone="alert">{t('锁定', 'Locked')}</ToneTag>
                  ) : (
                    <ToneTag tone="ok">{t('正常', 'Active')}</ToneTag>
                  ),
              },
              { title: t('最近登录', 'Last sign-in'), dataIndex: 'lastLoginAt', render: fmtTime },
              {
                title: t('操作', 'Actions'),
                fixed: 'right',
                width: 220,
                render: (_, u) => (
                  <Space size={4} wrap>
                    <Button
                      size="small"
                      onClick={() => {
                        setErr(undefined);
                        setDialog({ kind: 'edit', user: u });
                      }}
                    >
                      {t('编辑', 'Edit')}
                    </Button>
                    {u.id !== me.userId && (
                      <Button
                        size="small"
                        danger={!u.disabled}
                        onClick={() =>
                          patch(
                            u,
                            { disabled: !u.disabled },
                            u.disabled ? t('已启用', 'Enabled') : t('已停用', 'Disabled'),
                          )
                        }
                        data-testid={`toggle-${u.username}`}
                      >
                        {u.disabled ? t('启用', 'Enable') : t('停用', 'Disable')}
                      </Button>
                    )}
                    <Dropdown
                      trigger={['click']}
                      menu={{
                        items: [
                          { key: 'password', label: t('重置密码', 'Reset password') },
                          ...(u.locked ? [{ key: 'unlock', label: t('解锁', 'Unlock') }] : []),
                          ...(u.totpEnabled ? [{ key: 'totp', label: t('重置动态验证码', 'Reset TOTP') }] : []),
                        ],
                        onClick: ({ key }) => {
                          if (key === 'password') resetPassword(u);
                          else if (key === 'unlock') void patch(u, { unlock: true }, t('已解锁', 'Unlocked'));
                          else void patch(u, { resetTotp: true }, t('已重置动态验证码', 'TOTP reset'));
                        },
                      }}
                    >
                      <Button
                        size="small"
                        icon={<DownOutlined />}
                        iconPlacement="end"
                        data-testid={`more-${u.username}`}
                      >
                        {t('更多', 'More')}
                      </Button>
                    </Dropdown>
                  </Space>
                ),
              },
            ]}
          />
        )}
      </Loadable>
      <Modal
        open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
        title={
          dialog?.kind === 'edit'
            ? t(`编辑：${dialog.user.username}`, `Edit: ${dialog.user.username}`)
            : t('新建用户', 'New user')
        }
        onCancel={() => setDialog(undefined)}
        footer={null}
        destroyOnHidden
      >
        {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
        <Form
          layout="vertical"
          onFinish={submit}
          initialValues={
            dialog?.kind === 'edit' ? { displayName: dialog.user.displayName, roles: dialog.user.roles } : { roles: [] }
          }
        >
          {dialog?.kind === 'create' && (
            <Form.Item
              label={t('用户名', 'User name')}
              name="username"
              rules={[
                {
                  required: true,
                  pattern: /^[a-z0-9][a-z0-9._-]{2,63}$/,
                  message: t('3–64 位小写字母、数字、点、下划线或连字符', '3–64 lower-case letters, digits, . _ -'),
                },
              ]}
            >
              <Input autoComplete="off" />
            </Form.Item>
          )}
          <Form.Item label={t('姓名', 'Display name')} name="displayName" rules={[{ required: true, max: 64 }]}>
            <Input />
          </Form.Item>
          <Form.Item label={t('角色', 'Roles')} name="roles" rules={[{ required: true, type: 'array', min: 1 }]}>
            <Select mode="multiple" options={roleOptions} showSearch={{ optionFilterProp: 'label' }} />
          </Form.Item>
          {dialog?.kind === 'create' && province && (
            <Form.Item label={t('所属机构', 'Agency')} name="agencyId">
              <Select
                allowClear
                showSearch={{ optionFilterProp: 'label' }}
                options={(agencies.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))}
                placeholder={t('默认：本机构', 'Default: my agency')}
              />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="user-submit">
            {dialog?.kind === 'edit' ? t('保存', 'Save') : t('创建', 'Create')}
          </Button>
        </Form>
      </Modal>
      <Modal
        open={dialog?.kind === 'secret'}
        title={t('一次性密码', 'One-time password')}
        onCancel={() => setDialog(undefined)}
        onOk={() => setDialog(undefined)}
        okText={t('我已记下', 'I have noted it')}
        cancelButtonProps={{ style: { display: 'none' } }}
        destroyOnHidden
      >
        {dialog?.kind === 'secret' && (
          <>
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 12 }}
              title={t(
                '密码只显示这一次，请当面或通过安全渠道交给本人；首次登录后应立即修改。',
                'Shown only once: hand it over in person or over a safe channel; it should be changed at first sign-in.',
              )}
            />
            <Typography.Paragraph>
              {t('用户名', 'User name')}：<b>{dialog.user}</b>
            </Typography.Paragraph>
            <Typography.Paragraph copyable={{ text: dialog.password }} data-testid="one-time-password">
              <code style={{ fontSize: 16 }}>{dialog.password}</code>
            </Typography.Paragraph>
          </>
        )}
      </Modal>
    </Card>
  );
}
