import { Alert, App, Button, Card, Form, Input, Modal, Select, Table } from 'antd';
import { useState } from 'react';
import { api, type StaffMe } from '../../api';
import { errorText, Loadable, ToneTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import { hasRole, type T } from './shared';

const OBJ_STATUS = (t: T): Record<string, string> => ({
  submitted: t('已提交', 'Submitted'),
  processing: t('核实中', 'Processing'),
  resolved: t('已办结', 'Resolved'),
  rejected: t('已驳回', 'Rejected'),
});
const OBJ_TONE: Record<string, 'warn' | 'info' | 'ok' | 'none'> = {
  submitted: 'warn',
  processing: 'info',
  resolved: 'ok',
  rejected: 'none',
};
interface Objection {
  id: string;
  certificateId: string;
  filerKind: string;
  reason: string;
  status: string;
  outcome: string | null;
  createdAt: string;
}

/** Objections to certificate data (Nanyang Art. 16): the issuing agency verifies, then resolves or rejects. */
export function Objections({ me }: { me: StaffMe }) {
  const t = useT();
  const { message } = App.useApp();
  const [status, setStatus] = useState<string>();
  const st = useAsync(() => api<{ items: Objection[] }>('/api/v1/objections', { query: { status } }), [status]);
  const [editing, setEditing] = useState<Objection>();
  const [err, setErr] = useState<string>();
  const mayDecide = hasRole(me.roles, ['registrar', 'agency-admin']);
  const names = OBJ_STATUS(t);
  const filers: Record<string, string> = {
    holder: t('权利人', 'Holder'),
    institution: t('用证机构', 'Institution'),
    staff: t('工作人员', 'Staff'),
    public: t('公众', 'Public'),
  };
  const save = async (v: { status: string; outcome?: string }) => {
    setErr(undefined);
    try {
      await api(`/api/v1/objections/${editing?.id}`, { method: 'PATCH', body: v });
      message.success(t('已保存', 'Saved'));
      setEditing(undefined);
      st.reload();
    } catch (e) {
      setErr(errorText(e, t));
    }
  };
  return (
    <Card
      title={t('异议处理', 'Objections')}
      extra={
        <Select
          aria-label={t('按状态筛选', 'Filter by status')}
          allowClear
          placeholder={t('全部状态', 'All statuses')}
          style={{ width: 140 }}
          value={status}
          onChange={setStatus}
          options={Object.entries(names).map(([value, label]) => ({ value, label }))}
        />
      }
    >
      <Loadable state={st} what={t('异议列表', 'objections')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 900 }}
            locale={{
              emptyText: status
                ? t('没有该状态的异议', 'No objection with that status')
                : t(
                    '暂无异议。权利人或用证机构提出的异议会出现在这里。',
                    'No objections. Those filed by holders or institutions appear here.',
                  ),
            }}
            columns={[
              { title: t('提交时间', 'Filed'), dataIndex: 'createdAt', render: fmtTime },
              { title: t('提出方', 'Filed by'), dataIndex: 'filerKind', render: (v: string) => filers[v] ?? v },
              { title: t('电子证照标识', 'Certificate'), dataIndex: 'certificateId', ellipsis: true },
              { title: t('异议内容', 'Reason'), dataIndex: 'reason' },
              {
                title: t('状态', 'Status'),
                render: (_, o) => <ToneTag tone={OBJ_TONE[o.status] ?? 'none'}>{names[o.status] ?? o.status}</ToneTag>,
              },
              { title: t('处理结果', 'Outcome'), dataIndex: 'outcome', render: (v: string | null) => v ?? '—' },
              ...(mayDecide
                ? [
                    {
                      title: t('操作', 'Action'),
                      render: (_: unknown, o: Objection) => (
                        <Button
                          size="small"
                          onClick={() => {
                            setErr(undefined);
                            setEditing(o);
                          }}
                          disabled={o.status === 'resolved' || o.status === 'rejected'}
                        >
                          {t('处理', 'Handle')}
                        </Button>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </Loadable>
      <Modal
        open={!!editing}
        title={t('处理异议', 'Handle objection')}
        onCancel={() => setEditing(undefined)}
        footer={null}
        destroyOnHidden
      >
        {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
        <Form
          layout="vertical"
          onFinish={save}
          initialValues={{ status: editing?.status === 'submitted' ? 'processing' : undefined }}
        >
          <Form.Item label={t('状态', 'Status')} name="status" rules={[{ required: true }]}>
            <Select
              options={Object.entries(names)
                .filter(([v]) => v !== 'submitted')
                .map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Form.Item label={t('处理结果', 'Outcome')} name="outcome">
            <Input.TextArea rows={3} />
          </Form.Item>
          <Button type="primary" htmlType="submit" block>
            {t('保存', 'Save')}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}
